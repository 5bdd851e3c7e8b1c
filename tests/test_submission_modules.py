"""CS231n's imports between its files name the submission's own files; nothing else changes."""

from __future__ import annotations

import ast

import pytest

from grader.sandbox.submission_modules import _Absolute

MODULES = {"layers", "optim"}


def rewritten(source: str) -> str:
    return ast.unparse(_Absolute(MODULES).visit(ast.parse(source)))


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from .layers import *", "from layers import *"),
        ("from cs231n.layers import forward as f", "from layers import forward as f"),
        ("from . import layers, optim", "import layers, optim"),
        ("from cs231n import layers as L", "import layers as L"),
        ("def f():\n    from .optim import sgd", "def f():\n    from optim import sgd"),
    ],
)
def test_imports_of_the_submissions_files_are_made_absolute(source, expected):
    assert rewritten(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "from .layer_utils import *",  # not a file of the assignment: fails, with the hint
        "from cs231n.data_utils import load_CIFAR10",
        "from . import layers, layer_utils",
        "from ..layers import x",
        "from numpy.layers import x",
        "import cs231n.layers",  # binds the name cs231n: left to fail as it would
    ],
)
def test_other_imports_are_left_alone(source):
    assert rewritten(source) == source
