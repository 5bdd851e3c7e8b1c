from pathlib import Path

import pytest

from grader import assignment
from grader.manifest import ManifestError, load

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
        (GOOD + "limits:\n  call_timeout: 3\n", r"line 13: key 'limits' appears twice"),
        (GOOD.replace("[layers.py]", "[layers.txt]"), r"line 3: key 'files.required.0'"),
        (GOOD.replace("[init.py]", "[layers.py]"), r"layers.py is listed as both"),
    ],
    ids=["typo", "top-level", "type", "visibility", "required", "yaml", "duplicate", "file",
         "both"],
)  # fmt: skip
def test_bad_manifest_names_file_line_and_key(tmp_path, text, expected):
    with pytest.raises(ManifestError, match=expected) as info:
        load(write(tmp_path, text))
    assert str(info.value).startswith(str(tmp_path / "manifest.yaml"))


def test_unknown_tolerance_is_a_staff_error(tmp_path):
    with pytest.raises(ManifestError, match="no tolerance 'gradient'"):
        load(write(tmp_path, GOOD)).tolerance("gradient")


def test_assignment_lookup_by_name_path_or_failure(tmp_path):
    assert assignment.find("a1").name == "a1"
    write(tmp_path, GOOD)
    assert assignment.find(str(tmp_path)).name == "demo"
    with pytest.raises(assignment.AssignmentNotFound, match=r"no assignment 'zz'.*\(a1, a2, a3\)"):
        assignment.find("zz")
