"""The plugin end to end: pytest outcomes of a small assignment turned into results.json."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import graded

from grader import assignment
from grader.grading import grade
from grader.manifest import ManifestError

MANIFEST = """\
name: demo
reference: solution
files:
  required: [funcs.py]
limits:
  call_timeout: 5
tolerances:
  exact: 0.0
tests:
  double: 4
  test_hidden: {points: 1, visibility: hidden}
"""

TESTS = '''
import time
import numpy as np
import pytest
from gradescope_utils.autograder_utils.decorators import (
    hide_errors, leaderboard, number, partial_credit, tags, visibility, weight,
)
from grader.checks import assert_close


@pytest.mark.parametrize("n", [1, 2])
def test_double(student, reference, tolerance, n):
    """double: doubles {n}"""
    assert_close(student.funcs.double(np.full(3, n)), reference.funcs.double(np.full(3, n)),
                 "out", tolerance("exact"))


def test_broken_student(student):
    """double: raises on strings"""
    student.funcs.explode()


@weight(2)
@tags("basics")
def test_weighted_fail(student):
    """other: plain assert"""
    assert student.funcs.double(np.ones(1))[0] == 3, "expected 3"


@weight(1)
def test_fixture_error(missing_fixture):
    """other: needs a missing fixture"""


@weight(1)
def test_skipped():
    """other: skipped"""
    pytest.skip("needs a GPU")


@weight(1)
@pytest.mark.xfail(reason="known gap")
def test_xfail():
    """other: expected failure"""
    assert False


@weight(1)
@pytest.mark.xfail(reason="flaky")
def test_xpass():
    """other: unexpected pass"""


@partial_credit(4)
def test_partial(set_score=None):
    """partial: half right"""
    set_score(2)


@partial_credit(4)
def test_partial_then_crash(set_score=None):
    """partial: crash after set_score"""
    set_score(3)
    raise RuntimeError("late crash")


@weight(0)
@leaderboard("speed", "asc")
def test_board(set_leaderboard_value=None):
    """board: speed"""
    set_leaderboard_value(1.25)


@number("9.1")
@visibility("after_due_date")
@weight(1)
@hide_errors("Something is wrong with your double")
def test_hide(student):
    """secret: hidden message"""
    assert student.funcs.double(np.ones(1))[0] == 5, "the secret detail"


def test_hidden(student):
    """secret: hidden test"""


@weight(3)
def test_subtests(subtests):
    """sub: three checks"""
    for i in range(3):
        with subtests.test(msg="case", i=i):
            assert i != 1, "i must not be 1"
'''


def make_assignment(tmp_path: Path, tests: str = TESTS, manifest: str = MANIFEST) -> Path:
    folder = tmp_path / "demo"
    (folder / "tests").mkdir(parents=True)
    (folder / "solution").mkdir()
    (folder / "manifest.yaml").write_text(manifest)
    (folder / "tests" / "test_demo.py").write_text(textwrap.dedent(tests))
    (folder / "solution" / "funcs.py").write_text("def double(x):\n    return 2 * x\n")
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "funcs.py").write_text(
        "def double(x):\n    return 2 * x\n\ndef explode():\n    raise KeyError('boom')\n"
    )
    return folder


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("plugin")
    folder = make_assignment(tmp_path)
    return {t["name"]: t for t in graded(tmp_path / "submission", folder)["tests"]}


def entry(results, name):
    test = results[name]
    return test["score"], test["max_score"], test["status"]


def test_parametrized_cases_are_entries_sharing_group_points(results):
    assert entry(results, "double: doubles 1") == (4 / 3, 4 / 3, "passed")
    assert entry(results, "double: doubles 2") == (4 / 3, 4 / 3, "passed")


def test_student_exception_fails_with_its_message(results):
    assert entry(results, "double: raises on strings")[2] == "failed"
    assert results["double: raises on strings"]["output"].startswith(
        "explode raised KeyError: 'boom'"
    )


def test_assertion_failure_and_decorators(results):
    test = results["other: plain assert"]
    assert entry(results, "other: plain assert") == (0, 2, "failed")
    assert "expected 3" in test["output"] and test["tags"] == ["basics"]


def test_setup_error_is_a_failed_entry(results):
    test = results["other: needs a missing fixture"]
    assert entry(results, "other: needs a missing fixture") == (0, 1, "failed")
    assert test["extra_data"]["outcome"] == "error"


@pytest.mark.parametrize(
    "name, outcome, text",
    [("other: skipped", "skipped", "needs a GPU"),
     ("other: expected failure", "xfailed", "Expected to fail: known gap"),
     ("other: unexpected pass", "xpassed", "Passed, though expected to fail: flaky")],
)  # fmt: skip
def test_skip_and_xfail_are_reported_without_points(results, name, outcome, text):
    assert entry(results, name) == (0, 0, "passed")
    assert results[name]["extra_data"]["outcome"] == outcome
    assert text in results[name]["output"]


def test_partial_credit_and_score_lost_on_a_later_exception(results):
    assert entry(results, "partial: half right") == (2, 4, "passed")
    assert entry(results, "partial: crash after set_score") == (0, 4, "failed")
    assert "late crash" in results["partial: crash after set_score"]["output"]


def test_leaderboard_test_is_still_a_test(results, tmp_path):
    assert entry(results, "board: speed") == (0, 0, "passed")


def test_hide_errors_visibility_and_number(results):
    test = results["secret: hidden message"]
    assert test["output"] == "Something is wrong with your double"
    assert test["visibility"] == "after_due_date" and test["number"] == "9.1"
    assert results["secret: hidden test"]["visibility"] == "hidden"
    assert entry(results, "secret: hidden test") == (1, 1, "passed")


def test_each_subtest_is_an_entry_sharing_the_test_points(results):
    subs = {name: entry(results, name) for name in results if name.startswith("sub:")}
    assert subs == {
        "sub: three checks [case] (i=0)": (1, 1, "passed"),
        "sub: three checks [case] (i=1)": (0, 1, "failed"),
        "sub: three checks [case] (i=2)": (1, 1, "passed"),
    }
    assert "i must not be 1" in results["sub: three checks [case] (i=1)"]["output"]


def test_leaderboard_section(tmp_path):
    folder = make_assignment(tmp_path)
    document = graded(tmp_path / "submission", folder)
    assert document["leaderboard"] == [{"name": "speed", "value": 1.25, "order": "asc"}]
    assert document["extra_data"]["hidden_tests"] == 2


def test_manifest_key_matching_no_test_is_an_error(tmp_path):
    folder = make_assignment(tmp_path, manifest=MANIFEST + "  dubble: 2\n")
    with pytest.raises(ManifestError, match=r"line 12: 'dubble' under 'tests' matches no test"):
        grade(tmp_path / "submission", assignment.find(str(folder)))


def test_time_budget_marks_later_tests_not_run(tmp_path):
    tests = '''
    import time
    from gradescope_utils.autograder_utils.decorators import weight

    @weight(1)
    def test_slow():
        """slow: takes the budget"""
        time.sleep(1.2)

    @weight(1)
    def test_after():
        """after: never starts"""
    '''
    manifest = MANIFEST.replace("  call_timeout: 5", "  call_timeout: 5\n  total_time: 1")
    manifest = manifest.split("tests:")[0]
    folder = make_assignment(tmp_path, tests=tests, manifest=manifest)
    document = graded(tmp_path / "submission", folder)
    after = next(t for t in document["tests"] if t["name"] == "after: never starts")
    assert (after["score"], after["max_score"], after["status"]) == (0, 1, "failed")
    assert after["output"].startswith("Not run: the time budget of 1 s")


def test_broken_test_file_is_a_staff_error(tmp_path):
    folder = make_assignment(tmp_path, tests="import nonexistent_module\n",
                             manifest=MANIFEST.split("tests:")[0])  # fmt: skip
    with pytest.raises(ManifestError, match=r"line 1: .*No module named 'nonexistent_module'"):
        grade(tmp_path / "submission", assignment.find(str(folder)))


def test_a_case_can_be_hidden_with_a_visibility_mark(tmp_path):
    tests = '''
    import pytest
    from gradescope_utils.autograder_utils.decorators import weight

    @weight(2)
    @pytest.mark.parametrize("n", [1, pytest.param(2, marks=pytest.mark.visibility("hidden"))])
    def test_cases(n):
        """cases: case {n}"""
    '''
    folder = make_assignment(tmp_path, tests=tests, manifest=MANIFEST.split("tests:")[0])
    document = graded(tmp_path / "submission", folder)
    assert {t["name"]: t["visibility"] for t in document["tests"]} == {
        "cases: case 1": "visible", "cases: case 2": "hidden"
    }  # fmt: skip
    checked = grade(tmp_path / "submission", assignment.find(str(folder)), only_visible=True)
    assert [e.name for e in checked.results.entries] == ["cases: case 1"]
    assert checked.results.entries[0].max_score == 1
    assert "1 more test (worth 1 points) will run after you submit" in checked.results.output


def test_pytest_fixtures_of_plugins_a_grading_turns_off_still_work(tmp_path):
    """Gradings turn pytest's junitxml plugin off (its import costs every grade); a course's
    tests that use its fixtures, or doctest's ``doctest_namespace``, still run and pass."""
    tests = '''
    import pytest
    from gradescope_utils.autograder_utils.decorators import weight

    @pytest.fixture(autouse=True)
    def add_numpy(doctest_namespace):
        doctest_namespace["np"] = 1

    @weight(1)
    def test_recorded(record_property, record_xml_attribute, record_testsuite_property,
                      request):
        """recorded: records properties"""
        record_property("epochs", 3)
        record_xml_attribute("device", "cpu")
        record_testsuite_property("course", "cs231n")
        assert request.node.user_properties == [("epochs", 3)]
        with pytest.raises(TypeError, match="needs to be a string, but int given"):
            record_testsuite_property(1, "x")
    '''
    folder = make_assignment(tmp_path, tests=tests, manifest=MANIFEST.split("tests:")[0])
    (test,) = graded(tmp_path / "submission", folder)["tests"]
    assert (test["name"], test["status"], test["score"]) == ("recorded: records properties",
                                                             "passed", 1)  # fmt: skip
