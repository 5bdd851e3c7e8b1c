"""Notebook submissions written the way students write them: aliases, stray imports, a cell
that hangs at definition time, and notebooks too large to parse."""

from __future__ import annotations

import ast
import json
import tracemalloc
from pathlib import Path

import pytest
from conftest import ROOT, SOLUTION, by_group, graded
from test_workflows import SOLUTION_CODE, write_notebook

from grader import notebook
from grader.notebook import NotebookError, extract

SOLUTION_FILES = ("layers.py", "optim.py", "init.py")


def without(code: str, *names: str) -> str:
    """``code`` with the top-level definitions of ``names`` removed."""
    lines = code.splitlines()
    for node in reversed(ast.parse(code).body):
        if isinstance(node, ast.FunctionDef) and node.name in names:
            del lines[node.lineno - 1 - len(node.decorator_list) : node.end_lineno]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def reference_totals():
    return by_group(graded(SOLUTION))


def lost(results, reference_totals) -> set[str]:
    totals = by_group(results)
    return {group for group, (score, _) in totals.items() if score < reference_totals[group][0]}


def outputs(results, group: str) -> list[str]:
    return [t["output"] for t in results["tests"] if t["name"].startswith(f"{group}:")]


def test_extract_keeps_aliases_of_what_the_notebook_defines_or_imports(tmp_path):
    path = write_notebook(
        tmp_path / "a1.ipynb",
        "from __future__ import print_function\nimport numpy as np\nfrom numpy import linalg\n"
        "from collections import namedtuple\nEPS: float = 1e-8",
        "def batchnorm_backward(dout, cache):\n    return dout\n\n"
        "batchnorm_backward_alt = batchnorm_backward\nnorm = linalg.norm\nfmax = np.fmax",
        "class Activations:\n    @staticmethod\n    def relu(x):\n        return x\n\n"
        "relu_forward = Activations.relu\nalso = relu_forward",
        "def tanh(self, x):\n    return -x\n\nActivations.tanh = tanh\n"
        "Activations.sigmoid = undefined_name\nundefined_name.attr = tanh",
        "model = make_model()\nalias_of_dropped = model\nstray = undefined_name.attr",
        "Cache = namedtuple('Cache', 'x w')\ngrid = np.linspace(0, 1, 3)\n"
        "not_from_literals = np.array(model)",
    )
    source, notes = extract(path)
    namespace: dict = {}
    exec(compile(source, str(tmp_path / "layers.py"), "exec"), namespace)
    assert namespace["batchnorm_backward_alt"] is namespace["batchnorm_backward"]
    assert namespace["relu_forward"](3) == 3 and namespace["also"](4) == 4
    assert namespace["EPS"] == 1e-8 and namespace["fmax"](1, 2) == 2
    assert namespace["norm"]([3.0, 4.0]) == 5.0
    assert namespace["Activations"]().tanh(2) == -2  # a method added in a later cell
    assert not hasattr(namespace["Activations"], "sigmoid")
    assert namespace["Cache"](1, 2).w == 2 and list(namespace["grid"]) == [0.0, 0.5, 1.0]
    for name in ("model", "alias_of_dropped", "stray", "print_function", "not_from_literals"):
        assert name not in namespace
    assert notes == ["a1.ipynb: 6 top-level statements other than imports and definitions were "
                     "not run."]  # fmt: skip


def test_a_notebook_saved_as_a_script_is_graded_as_the_notebook(solution_copy, reference_totals):
    """Jupyter's and Colab's "Download .py": magics became get_ipython() calls among the
    notebook's demos and loops, which would fail or hang as a file's top level."""
    folder = solution_copy()
    layers = folder / "layers.py"
    layers.write_text("#!/usr/bin/env python\n# coding: utf-8\n\n# In[1]:\n\n"
                      "get_ipython().run_line_magic('matplotlib', 'inline')\n"
                      "get_ipython().system('pip install numpy')\n" + layers.read_text()
                      + "\n\n# In[2]:\n\nwhile True:\n    pass\n")  # fmt: skip
    results = graded(folder)
    assert lost(results, reference_totals) == set()
    assert results["output"].startswith(
        "layers.py looks like a notebook saved as a script (it calls get_ipython()): its imports "
        "and definitions were graded, as a notebook's are."
    ), results["output"]


def test_an_alias_of_a_defined_function_is_graded(tmp_path, reference_totals):
    code = without(SOLUTION_CODE, "batchnorm_backward_alt", "relu_forward")
    relu_class = (
        "class Relu:\n    @staticmethod\n    def forward(x):\n        return np.maximum(0, x), x\n"
    )
    path = write_notebook(
        tmp_path / "a1.ipynb", code, relu_class,
        "batchnorm_backward_alt = batchnorm_backward\nrelu_forward = Relu.forward",
    )  # fmt: skip
    assert lost(graded(path), reference_totals) == set()


def test_stray_imports_cost_nothing(tmp_path, reference_totals):
    stray = (
        "from google.colab import drive\ndrive.mount('/content/drive')\nimport torch\n"
        "import matplotlib.pyplot as plt\nimport this_module_does_not_exist\n"
        "from cs231n.data_utils import load_CIFAR10\n%load_ext autoreload"
    )
    path = write_notebook(tmp_path / "a1.ipynb", stray, SOLUTION_CODE)
    assert lost(graded(path), reference_totals) == set()


def test_a_missing_import_costs_only_the_functions_that_use_it(tmp_path, reference_totals):
    uses_it = (
        "from fastmath import scaled\n\n"
        "def sgd(w, dw, config=None):\n"
        "    config = config if config is not None else {}\n"
        "    config.setdefault('learning_rate', 1e-2)\n"
        "    return w - scaled(dw, config['learning_rate']), config"
    )
    path = write_notebook(tmp_path / "a1.ipynb", SOLUTION_CODE, uses_it)
    results = graded(path)
    assert lost(results, reference_totals) == {"sgd"}
    assert all(
        "`from fastmath import scaled` (a1.ipynb, cell 3) failed: ModuleNotFoundError" in output
        for output in outputs(results, "sgd")
    ), outputs(results, "sgd")


def test_a_definition_that_hangs_or_fails_costs_only_itself(tmp_path, reference_totals):
    hangs = (
        "def cached(function):\n    while True:\n        pass\n\n"
        "@cached\ndef sgd(w, dw, config=None):\n    return w, config"
    )
    default_fails = "def adagrad(w, dw, config=None, table=load_table()):\n    return w, config"
    path = write_notebook(tmp_path / "a1.ipynb", SOLUTION_CODE, hangs, default_fails)
    results = graded(path)
    assert lost(results, reference_totals) == {"sgd", "adagrad"}
    assert all(
        "sgd (a1.ipynb, cell 3, line 5) was not loaded: its definition did not finish within 2 s"
        in output
        for output in outputs(results, "sgd")
    ), outputs(results, "sgd")
    assert all(
        "adagrad (a1.ipynb, cell 4, line 1) was not loaded: its definition raised NameError"
        in output
        for output in outputs(results, "adagrad")
    ), outputs(results, "adagrad")


def big_notebook(path: Path, megabytes: float, outputs: str = "images") -> Path:
    """The reference as a notebook whose cell outputs make it that large: a few base64
    "images", or many printed lines (a training loop's log)."""
    write_notebook(path, SOLUTION_CODE)
    document = json.loads(path.read_text())
    if outputs == "images":
        image = "iVBORw0KGgo" * int(megabytes * 2**20 / 11 / 4)
        document["cells"][1]["outputs"] = [
            {"output_type": "display_data", "data": {"image/png": image}, "metadata": {}}
            for _ in range(4)
        ]
    else:
        line = {"output_type": "stream", "name": "stdout", "text": ["epoch 1: loss 2.302585\n"]}
        document["cells"][1]["outputs"] = [line] * int(megabytes * 2**20 / 80)
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("outputs", ["images", "printed lines"])
def test_a_large_notebook_is_parsed_within_a_memory_bound(tmp_path, outputs):
    path = big_notebook(tmp_path / "a1.ipynb", 15, outputs)
    size = path.stat().st_size
    assert 14 * 2**20 < size < notebook.MAX_NOTEBOOK_BYTES
    tracemalloc.start()
    try:
        source, _ = extract(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "def affine_forward" in source
    assert peak < 2.5 * size, f"peak {peak / 2**20:.0f} MB for a {size / 2**20:.0f} MB notebook"


def test_a_notebook_over_the_cap_is_refused_with_the_cap_named(tmp_path):
    path = big_notebook(tmp_path / "a1.ipynb", 21)
    tracemalloc.start()
    try:
        with pytest.raises(NotebookError) as info:
            extract(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20  # never read
    message = str(info.value)
    assert message.startswith("a1.ipynb is 21.0 MB: notebooks larger than 20 MB are not graded.")
    assert "Clear All Outputs" in message
    results = graded(path)
    assert message in results["output"] and results["output"].count("is missing") == 1
    assert all(t["score"] == 0 for t in results["tests"])


def test_stubs_in_a_notebook_are_named_as_not_implemented(tmp_path):
    stubs = [(ROOT / "assignments" / "a1" / name).read_text() for name in SOLUTION_FILES]
    results = graded(write_notebook(tmp_path / "a1.ipynb", *stubs))
    for test in results["tests"]:
        fc_net = test["name"].startswith("fc_net")
        expected = "Not graded: this test needs" if fc_net else "is not implemented yet"
        assert test["score"] == 0 and expected in test["output"], (test["name"], test["output"])
