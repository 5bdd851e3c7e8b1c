"""A syntax error inside one definition costs that definition only: the rest of the file is
mended to import, with its line numbers unchanged; anything else is left as it is."""

from __future__ import annotations

import pytest

from grader.sandbox.salvage import without_broken_definitions

GOOD = "def good(x):\n    return x + 1\n"


def mend(source: str) -> tuple[dict[str, object], dict[str, str]]:
    """What the mended file defines when run, and the error of each definition left out."""
    mended = without_broken_definitions(source, "layers.py")
    assert mended is not None
    text, broken = mended
    assert len(text.splitlines()) == len(source.splitlines())  # later lines keep their numbers
    namespace: dict[str, object] = {}
    exec(compile(text, "layers.py", "exec"), namespace)
    return namespace, {name: f"line {exc.lineno}: {exc.msg}" for name, exc in broken.items()}


def test_a_python_2_print_costs_its_function_only():
    source = (
        GOOD
        + "\ndef adam(w, dw):\n    print 'step'\n    return w\n\n"
        + GOOD.replace("good", "after")
    )
    namespace, broken = mend(source)
    assert namespace["good"](1) == 2 and namespace["after"](1) == 2 and namespace["adam"] is None
    assert list(broken) == ["adam"] and broken["adam"].startswith("line 5: Missing parentheses")


@pytest.mark.parametrize(
    "definition, name",
    [
        ("@staticmethod\ndef decorated(x):\n    return x +\n", "decorated"),
        ("class Conv:\n    def forward(self, x):\n        return x[\n", "Conv"),
        ("def stub(x):\n    # TODO\n", "stub"),  # an empty body: reported on the line after
        ("async def waits():\n    await = 1\n", "waits"),
    ],
    ids=["decorator", "class", "empty body", "async"],
)
def test_each_kind_of_definition_is_left_out_whole(definition, name):
    namespace, broken = mend(GOOD + definition + "\n" + GOOD.replace("good", "later"))
    assert list(broken) == [name] and namespace[name] is None
    assert namespace["good"](1) == 2 and namespace["later"](1) == 2


def test_two_broken_definitions_are_each_left_out():
    source = "def a(:\n    pass\n" + GOOD + "def b():\n    return )\n"
    namespace, broken = mend(source)
    assert sorted(broken) == ["a", "b"] and namespace["good"](1) == 2


@pytest.mark.parametrize(
    "source",
    [
        GOOD,  # nothing to mend
        GOOD + "print 'top level'\n",  # not in a definition: the file fails as it is
        GOOD + "x = (1,\n",
        'def doc():\n    """text\nat the first column"""\n    return 1 +\n',  # cannot delimit it
    ],
    ids=["no error", "top-level statement", "unclosed at the top level", "undelimited"],
)
def test_what_is_not_in_a_delimited_definition_is_left_as_it_is(source):
    assert without_broken_definitions(source, "layers.py") is None
