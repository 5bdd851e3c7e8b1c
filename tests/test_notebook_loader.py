"""The loader of a notebook's definitions, run directly (in the grader these run in the worker):
deferred imports, per-definition time limits, stand-ins that explain, tracebacks into cells."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import pytest
from test_workflows import write_notebook

from grader import notebook_loader
from grader.notebook import extract


def load(tmp_path: Path, *cells: str) -> dict:
    """The namespace of the module generated from a notebook of ``cells``."""
    source, _ = extract(write_notebook(tmp_path / "a1.ipynb", *cells))
    namespace = {"__file__": str(tmp_path / "layers.py"), "__name__": "layers"}
    exec(compile(source, namespace["__file__"], "exec"), namespace)
    return namespace


@pytest.fixture
def fast_limits(monkeypatch):
    monkeypatch.setattr(notebook_loader, "DEFINITION_SECONDS", 0.3)
    monkeypatch.setattr(notebook_loader, "TOTAL_SECONDS", 0.5)


@pytest.fixture
def module_on_path(tmp_path, monkeypatch):
    """``module_on_path(name, code)``: an importable module (the import never happens here)."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))

    def make(name: str, code: str) -> None:
        (folder / f"{name}.py").write_text(code)
        monkeypatch.delitem(sys.modules, name, raising=False)

    return make


def test_an_unused_import_never_runs(tmp_path, module_on_path):
    module_on_path("explodes", "raise MemoryError('imported')\n")
    namespace = load(tmp_path, "import explodes\nfrom google.colab import drive",
                     "def f():\n    return 1")  # fmt: skip
    assert namespace["f"]() == 1 and "explodes" not in sys.modules


def test_a_used_import_runs_at_first_use_and_replaces_its_stand_in(tmp_path, module_on_path):
    module_on_path("counted", "VALUE = 7\n")
    namespace = load(tmp_path, "import counted as c", "def f():\n    return c.VALUE")
    assert "counted" not in sys.modules
    assert (namespace["f"](), namespace["f"]()) == (7, 7)
    assert namespace["c"] is sys.modules["counted"]


def test_a_failed_import_names_itself_in_the_functions_that_use_it(tmp_path):
    uses = "def g(x):\n    return np.exp(x)\n\ndef f(x):\n    return fast_exp(x)"
    namespace = load(tmp_path, "import numpy as np\nfrom fastmath import fast_exp", uses)
    assert namespace["g"](0.0) == 1.0
    expected = (
        r"`from fastmath import fast_exp` \(a1.ipynb, cell 2\) failed: ModuleNotFoundError: "
        r"No module named 'fastmath'"
    )
    with pytest.raises(ImportError, match=expected):
        namespace["f"](1.0)


def test_a_slow_import_at_definition_time_is_not_timed(tmp_path, module_on_path, fast_limits):
    module_on_path("slow", "import time\ntime.sleep(0.6)\nclass Tensor:\n    pass\n")
    namespace = load(tmp_path, "import slow", "def f(x: slow.Tensor) -> int:\n    return 1")
    assert namespace["f"](None) == 1


def test_a_hanging_definition_is_replaced_and_the_others_load(tmp_path, fast_limits):
    namespace = load(
        tmp_path,
        "def forever():\n    while True:\n        pass",
        "def f(x=forever()):\n    return x\n\ndef g():\n    return 2",
        "def h(x=forever()):\n    return x\n\ndef k():\n    return 3",
    )
    assert namespace["g"]() == 2 and namespace["k"]() == 3  # k: past the total, still loaded
    expected = r"f \(a1.ipynb, cell 3, line 1\) was not loaded: its definition did not finish"
    with pytest.raises(notebook_loader.NotebookLoadError, match=expected):
        namespace["f"]()
    with pytest.raises(notebook_loader.NotebookLoadError, match="did not finish within"):
        namespace["h"]()


def test_a_definition_that_swallows_exceptions_still_times_out(tmp_path, fast_limits):
    namespace = load(
        tmp_path,
        "def stubborn(function):\n    while True:\n        try:\n            pass\n"
        "        except Exception:\n            pass",
        "@stubborn\ndef f():\n    return 1",
    )
    with pytest.raises(notebook_loader.NotebookLoadError, match="did not finish within"):
        namespace["f"]()


def test_tracebacks_point_into_the_notebook_cell(tmp_path):
    namespace = load(tmp_path, "x = 1", "def f():\n    # a comment\n    return 1 / 0")
    with pytest.raises(ZeroDivisionError) as info:
        namespace["f"]()
    frame = traceback.extract_tb(info.value.__traceback__)[-1]
    assert frame.filename == str(tmp_path.resolve() / "a1.ipynb, cell 3")
    assert (frame.lineno, frame.line) == (3, "return 1 / 0")
