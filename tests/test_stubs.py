import pytest

from grader import assignment
from grader.stubs import StubError, make_stub, write_stubs


def test_committed_stubs_match_the_reference_solution():
    assert write_stubs(assignment.find("a1"), check=True) == [], (
        "stubs are out of date: run `grader stubs --assignment a1`"
    )


def test_solution_blocks_become_not_implemented_at_their_indentation():
    source = (
        "import numpy as np\n\n\ndef f(x):\n    '''Doc.'''\n    # BEGIN SOLUTION\n"
        "    return x + 1\n    # END SOLUTION\n"
    )
    assert make_stub(source) == (
        "import numpy as np\n\n\ndef f(x):\n    '''Doc.'''\n"
        '    raise NotImplementedError("implement f")\n'
    )


def test_module_level_solution_blocks_are_dropped():
    source = "import numpy as np\n# BEGIN SOLUTION\ndef _helper():\n    pass\n# END SOLUTION\n"
    assert make_stub(source) == "import numpy as np\n"


@pytest.mark.parametrize(
    "source, message",
    [
        (
            "def f():\n    # BEGIN SOLUTION\n    return 1\n",
            "line 2: # BEGIN SOLUTION is never closed",
        ),
        ("def f():\n    # END SOLUTION\n", "line 2: # END SOLUTION without"),
        (
            "def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n",
            "line 3: # BEGIN SOLUTION inside",
        ),
    ],
)
def test_malformed_markers_name_the_line(source, message):
    with pytest.raises(StubError, match=message):
        make_stub(source, "layers.py")


def test_committed_a3_stubs_match_the_reference_solution():
    assert write_stubs(assignment.find("a3"), check=True) == [], (
        "stubs are out of date: run `grader stubs --assignment a3`"
    )


def test_a_method_stub_names_its_class():
    source = (
        "class Layer:\n    def __init__(self):\n        self.w = 1\n\n    def forward(self, x):\n"
        "        # BEGIN SOLUTION\n        return x\n        # END SOLUTION\n"
    )
    assert make_stub(source).endswith(
        '    def forward(self, x):\n        raise NotImplementedError("implement Layer.forward")\n'
    )
