import json
from pathlib import Path

import pytest

from grader import assignment
from grader.cli import main
from grader.grading import grade
from grader.manifest import MANIFEST_NAME, ManifestError, _needs_pure_python, load
from grader.reporting.collection import TestFileError
from grader.reporting.fallback import STAFF_SIDE

GOOD = """\
name: demo
files:
  required: [layers.py]
  optional: [init.py]
limits:
  call_timeout: 2
  memory_mb: 256
tolerances:
  forward: 1.0e-7
tests:
  affine_forward: 3
  test_hidden_case: {points: 1, visibility: hidden}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(text)
    return path


def test_valid_manifest_loads_with_defaults(tmp_path):
    manifest = load(write(tmp_path, GOOD))
    assert manifest.files == ("layers.py", "init.py")
    assert manifest.modules == ["layers", "init"]
    assert (manifest.call_timeout, manifest.memory_mb, manifest.total_time) == (2.0, 256, 480.0)
    assert manifest.tests["affine_forward"].points == 3
    assert manifest.tests["test_hidden_case"].visibility == "hidden"
    assert manifest.tolerance("forward") == 1e-7
    assert manifest.where("test_hidden_case").endswith("line 12")


@pytest.mark.parametrize(
    "text, expected",
    [
        (GOOD.replace("call_timeout", "call_timout"),
         r"line 6: unknown key 'call_timout' in limits; did you mean 'call_timeout'\?"),
        (GOOD + "colour: blue\n", r"line 13: unknown key 'colour' in the top level"),
        (GOOD.replace("memory_mb: 256", "memory_mb: lots"), r"line 7: key 'limits.memory_mb'"),
        (GOOD.replace("{points: 1, visibility: hidden}", "{points: 1, visibility: secret}"),
         r"line 12: key 'test_hidden_case': expected a number of points"),
        (GOOD.replace("name: demo\n", ""), r"line 1: the top level is missing 'name'"),
        (GOOD.replace("[layers.py]", "[layers.py"), r"line \d+: invalid YAML"),
        (GOOD.replace("name: demo", "name: demo\n\t"),
         r"line 2: invalid YAML: found character '\\t' that cannot start any token"),
        (GOOD + "limits:\n  call_timeout: 3\n", r"line 13: key 'limits' appears twice"),
        (GOOD.replace("[layers.py]", "[layers.txt]"), r"line 3: key 'files.required.0'"),
        (GOOD.replace("[init.py]", "[layers.py]"), r"layers.py is listed as both"),
        (GOOD + "preload: [torch-nn]\n", r"line 13: key 'preload.0': 'torch-nn' does not match"),
    ],
    ids=["typo", "top-level", "type", "visibility", "required", "yaml", "yaml-tab", "duplicate",
         "file", "both", "preload"],
)  # fmt: skip
def test_bad_manifest_names_file_line_and_key(tmp_path, text, expected):
    with pytest.raises(ManifestError, match=expected) as info:
        load(write(tmp_path, text))
    assert str(info.value).startswith(str(tmp_path / "manifest.yaml"))


@pytest.mark.parametrize(
    "text, expected",
    [
        (GOOD.replace("call_timeout: 2", "call_timeout:\t2"),
         r"line 6: invalid YAML: found character '\\t' that cannot start any token"),
        (GOOD.replace("call_timeout: 2", "call_timeout: 2\t"),
         r"line 6: invalid YAML: found character '\\t' that cannot start any token"),
        (GOOD.replace("call_timeout: 2", "call_timeout\t: 2"),
         r"line 6: invalid YAML: found character '\\t' that cannot start any token"),
        (GOOD.replace("call_timeout: 2", "call\ttimeout: 2"),
         r"line 6: invalid YAML: found character '\\t' that cannot start any token"),
        (GOOD.replace("  forward: 1.0e-7", "\ufeff  forward: 1.0e-7"),
         "line 9: unknown key '\ufeff  forward' in the top level"),
        (GOOD.replace("tolerances:\n  forward: 1.0e-7", "tolerances: {forward?: 1.0e-7}"),
         r"line 8: invalid YAML: expected ',' or '}', but got '\?'"),
        (GOOD + "title: !\n", r"line 13: key 'title': None is not of type 'string'"),
        (GOOD + "title: |#\n  Demo\n",
         r"line 13: invalid YAML: expected chomping or indentation indicators, but found '#'"),
        (GOOD.replace("tolerances:\n  forward: 1.0e-7", "tolerances: {forward:\n  }"),
         r"line 8: key 'tolerances.forward': None is not of type 'number'"),
        ("---", r"line 1: key 'the top level': None is not of type 'object'"),
    ],
    ids=["tab-value", "tab-after-value", "tab-before-colon", "tab-in-key", "bom-mid-file",
         "question-mark-in-flow", "empty-tag", "comment-after-block-header", "empty-flow-value",
         "no-newline-at-end"],
)  # fmt: skip
def test_yaml_libyaml_reads_otherwise_is_read_as_pyyaml_does(tmp_path, text, expected):
    """Manifests are read by libyaml for speed, but as PyYAML's SafeLoader reads them: libyaml
    accepts these (or gives other data, or other lines) where PyYAML rejects them."""
    with pytest.raises(ManifestError, match=expected) as info:
        load(write(tmp_path, text))
    assert str(info.value).startswith(str(tmp_path / "manifest.yaml"))


def test_bundled_manifests_are_read_by_libyaml():
    """Nothing in them sends them to the pure Python loader, ten times slower."""
    paths = sorted(assignment.BUNDLED.glob(f"*/{MANIFEST_NAME}"))
    assert paths
    for text in [GOOD] + [path.read_text(encoding="utf-8") for path in paths]:
        assert not _needs_pure_python(text)


def test_unknown_tolerance_is_a_staff_error(tmp_path):
    with pytest.raises(ManifestError, match="no tolerance 'gradient'"):
        load(write(tmp_path, GOOD)).tolerance("gradient")


def test_assignment_lookup_by_name_path_or_failure(tmp_path):
    assert assignment.find("a1").name == "a1"
    write(tmp_path, GOOD)
    assert assignment.find(str(tmp_path)).name == "demo"
    with pytest.raises(assignment.AssignmentNotFound, match=r"no assignment 'zz'.*\(a1, a2, a3\)"):
        assignment.find("zz")


def staff_assignment(tmp_path: Path, tests: str, points: str = "") -> Path:
    """A one-file assignment with the given test module and ``tests:`` section."""
    folder = tmp_path / "demo"
    (folder / "tests").mkdir(parents=True)
    (folder / "solution").mkdir()
    (folder / "manifest.yaml").write_text(
        "name: demo\nreference: solution\nfiles:\n  required: [funcs.py]\n" + points
    )
    (folder / "tests" / "test_demo.py").write_text(tests)
    for where in (folder / "solution", tmp_path):
        (where / "funcs.py").write_text("def double(x):\n    return 2 * x\n")
    return folder


DOUBLE = '''
def test_double(student):
    """double: doubles 2"""
    assert student.funcs.double(2) == 4


def test_double_zero(student):
    """double: doubles 0"""
    assert student.funcs.double(0) == 0
'''


@pytest.mark.parametrize(
    "points",
    ["", "tests:\n  test_double: 2\n", "tests:\n  double: {visibility: hidden}\n"],
    ids=["no tests section", "only one of the group's tests", "group without points"],
)
def test_a_test_without_points_is_a_manifest_error(tmp_path, points):
    folder = staff_assignment(tmp_path, DOUBLE, points)
    with pytest.raises(ManifestError) as info:
        grade(tmp_path, assignment.find(str(folder)))
    message = str(info.value)
    assert message.startswith(str(folder / "manifest.yaml"))
    assert "has no points: add it under tests: in manifest.yaml" in message
    assert "test_double" in message and "tests/test_demo.py" in message


@pytest.mark.parametrize(
    "points",
    ["tests:\n  double: 0\n", "tests:\n  test_double: {points: 0}\n  test_double_zero: 2\n"],
    ids=["group", "function"],
)
def test_explicit_zero_points_are_allowed(tmp_path, points):
    folder = staff_assignment(tmp_path, DOUBLE, points)
    tests = grade(tmp_path, assignment.find(str(folder))).results.to_gradescope()["tests"]
    assert [t["status"] for t in tests] == ["passed", "passed"]
    assert sum(t["max_score"] for t in tests) == (0 if "double: 0" in points else 2)


BROKEN_TEST_FILES = {
    "syntax error": ("import numpy\n\ndef test_double(student:\n    pass\n", 3, "SyntaxError"),
    "import error": (
        "import numpy\nfrom grader.checks import no_such_check\n" + DOUBLE,
        2,
        "ImportError: cannot import name 'no_such_check'",
    ),
    "missing module": ("import nonexistent_module\n" + DOUBLE, 1, "ModuleNotFoundError"),
    "error at import": ("import numpy\nLIMIT = 1 / 0\n" + DOUBLE, 2, "ZeroDivisionError"),
}


@pytest.mark.parametrize("case", BROKEN_TEST_FILES)
def test_a_test_file_that_does_not_load_is_a_staff_error_with_file_and_line(tmp_path, case):
    tests, line, error = BROKEN_TEST_FILES[case]
    # The manifest names the file's test: the error must be about the file, not the manifest.
    folder = staff_assignment(tmp_path, tests, "tests:\n  double: 2\n")
    with pytest.raises(TestFileError) as info:
        grade(tmp_path, assignment.find(str(folder)))
    test_file = folder / "tests" / "test_demo.py"
    assert str(info.value).startswith(f"{test_file}, line {line}: the grading tests could not")
    assert error in str(info.value)


def test_a_broken_test_file_never_gives_a_results_file_that_looks_like_a_grade(tmp_path, capsys):
    folder = staff_assignment(tmp_path, "def test_double(student:\n", "tests:\n  double: 2\n")
    output = tmp_path / "results.json"
    assert main(["grade", str(tmp_path), "-a", str(folder), "-o", str(output)]) == 2
    results = json.loads(output.read_text())
    assert results["tests"] == [] and results["score"] == 0
    assert results["output"] == STAFF_SIDE
    assert "test_demo.py, line 1" in results["extra_data"]["error"]
    assert "test_demo.py, line 1" in capsys.readouterr().err


def test_an_assignment_graded_without_its_packages_is_a_staff_error(tmp_path, capsys):
    """a2 without torch: not every test failed with the student's 'No module named torch'."""
    folder = staff_assignment(tmp_path, DOUBLE, "tests:\n  double: 2\n")
    manifest = folder / "manifest.yaml"
    manifest.write_text(manifest.read_text() + 'python_packages: ["numpy", "no-such-pkg==1.0"]\n')
    output = tmp_path / "results.json"
    assert main(["grade", str(tmp_path), "-a", str(folder), "-o", str(output)]) == 2
    error = capsys.readouterr().err
    assert "grader: error: demo needs no-such-pkg==1.0 (python_packages in " in error, error
    assert "lacks: pip install no-such-pkg==1.0" in error and "numpy" not in error
    results = json.loads(output.read_text())
    assert results["tests"] == [] and results["output"] == STAFF_SIDE


PRELOADED = '''
def test_double(student):
    """double: its file's import finds the preloaded module already imported"""
    assert student.funcs.preloaded() == ["xml.dom.minidom"]
'''


def test_preloaded_modules_are_imported_before_student_code_runs(tmp_path):
    """``preload``: the fork server imports the modules once, and every worker starts with them
    (student code's own import of torch costs nothing on its clock)."""
    folder = staff_assignment(tmp_path, PRELOADED, "tests:\n  double: 2\n")
    funcs = "import sys\nSEEN = [m for m in ['xml.dom.minidom'] if m in sys.modules]\n"
    for where in (folder / "solution", tmp_path):
        (where / "funcs.py").write_text(funcs + "def preloaded():\n    return SEEN\n")
    manifest = folder / "manifest.yaml"
    manifest.write_text(manifest.read_text() + "preload: [xml.dom.minidom]\n")
    assert grade(tmp_path, assignment.find(str(folder))).results.total == 2
    manifest.write_text(manifest.read_text().replace("preload: [xml.dom.minidom]\n", ""))
    assert grade(tmp_path, assignment.find(str(folder))).results.total == 0


@pytest.mark.parametrize("module", ["no_such_module", "json.no_such_submodule"])
def test_a_preload_module_that_does_not_import_is_a_staff_error(tmp_path, capsys, module):
    folder = staff_assignment(tmp_path, DOUBLE, "tests:\n  double: 2\n")
    manifest = folder / "manifest.yaml"
    manifest.write_text(manifest.read_text() + f"preload: [{module}]\n")
    assert main(["grade", str(tmp_path), "-a", str(folder), "-o", str(tmp_path / "r.json")]) == 2
    error = capsys.readouterr().err
    assert error.startswith(
        "grader: error: the fork server could not import what the manifest's preload lists: "
        f"{module}: ModuleNotFoundError: No module named '{module}'; install it, or take it out "
        "of preload"
    ), error
