"""Assignment 1 graded end to end: reference, stubs, one-function bugs, broken submissions."""

from __future__ import annotations

import zipfile

import pytest
from conftest import ROOT, SOLUTION, by_group, graded

from grader import assignment
from grader.submission import SubmissionError


@pytest.fixture(scope="module")
def reference_results():
    return graded(SOLUTION)


def test_reference_solution_gets_full_marks(reference_results):
    tests = reference_results["tests"]
    assert tests and all(t["score"] == t["max_score"] > 0 for t in tests), [
        (t["name"], t["output"]) for t in tests if t["score"] != t["max_score"]
    ]
    points = [s.points for s in assignment.find("a1").tests.values() if s.points is not None]
    assert sum(t["max_score"] for t in tests) == pytest.approx(sum(points))


def test_stubs_get_zero_with_not_implemented_everywhere():
    tests = graded(ROOT / "assignments" / "a1")["tests"]
    assert tests and all(t["score"] == 0 and t["status"] == "failed" for t in tests)
    for test in tests:
        expected = (
            "Not graded: this test needs"
            if test["name"].startswith("fc_net")
            else ("is not implemented yet")
        )
        assert expected in test["output"], (test["name"], test["output"])


def test_backward_fails_with_a_clear_message_when_its_forward_crashes(solution_copy):
    folder = solution_copy({"layers.py": [("    return np.maximum(0, x), x", "    1 / 0")]})
    results = graded(folder)
    backward = next(t for t in results["tests"] if t["name"].startswith("relu_backward"))
    assert backward["output"].startswith(
        "relu_backward could not be graded because relu_forward failed"
    )


def test_input_mutation_is_named(solution_copy):
    in_place = "    np.maximum(0, x, out=x)\n    return x, x"
    folder = solution_copy({"layers.py": [("    return np.maximum(0, x), x", in_place)]})
    outputs = [t["output"] for t in graded(folder)["tests"]
               if t["name"].startswith("relu_forward") and t["score"] < t["max_score"]]  # fmt: skip
    assert outputs == [
        "relu_forward changed its input x; work on a copy (e.g. x = x.copy()) or avoid in-place "
        "operations like +="
    ]


#: The optimizers, and the training test that needs two of them.
OPTIMIZERS = {"sgd", "sgd_momentum", "nesterov_momentum", "adagrad", "rmsprop", "adam", "fc_net"}


def test_syntax_errors_in_optim_cost_their_functions_only(solution_copy, reference_results):
    """Every optimizer of optim.py but sgd has a syntax error: each fails its own tests, saying
    where, and sgd and layers.py are graded as usual."""
    broken = "    if config is None"
    folder = solution_copy({"optim.py": [("    if config is None:", broken)]})
    text = (folder / "optim.py").read_text()
    sgd = text.index("def sgd(")
    (folder / "optim.py").write_text(text[:sgd] + text[sgd:].replace(broken, broken + ":", 1))
    results = graded(folder)
    totals, expected = by_group(results), by_group(reference_results)
    assert {k for k, (score, _) in totals.items() if score == 0} == OPTIMIZERS - {"sgd"}
    assert {k: v for k, v in totals.items() if k not in OPTIMIZERS - {"sgd"}} == {
        k: v for k, v in expected.items() if k not in OPTIMIZERS - {"sgd"}
    }
    lines = (folder / "optim.py").read_text().splitlines()
    for test in results["tests"]:
        group = test["name"].split(":")[0]
        if group in OPTIMIZERS - {"sgd", "fc_net"}:
            where = next(i for i, line in enumerate(lines) if line.startswith(f"def {group}("))
            line = lines.index(broken, where) + 1
            assert test["output"].startswith(
                f"optim.py has a syntax error on line {line}, in {group}: expected ':' (the rest "
                "of optim.py was graded)"
            ), test["output"]
        elif group == "fc_net":
            assert test["output"].startswith("Not graded: this test needs adam, sgd_momentum")


def test_missing_file_is_named_and_other_file_graded(solution_copy):
    folder = solution_copy()
    (folder / "optim.py").unlink()
    results = graded(folder)
    assert results["output"].startswith("Your submission is missing optim.py")
    totals = by_group(results)
    assert {k for k, (score, _) in totals.items() if score == 0} == OPTIMIZERS
    assert totals["affine_forward"][0] == totals["affine_forward"][1]
    sgd = [t["output"] for t in results["tests"] if t["name"].startswith("sgd:")]
    assert sgd == ["optim.py was not found in your submission"] * 2


def test_zip_with_a_wrapping_folder_is_graded(tmp_path, reference_results):
    archive = tmp_path / "submission.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("layers.py", "optim.py", "init.py"):
            zf.write(SOLUTION / name, f"my-a1/{name}")
    assert by_group(graded(archive)) == by_group(reference_results)


def test_zip_entry_escaping_its_folder_is_rejected(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escaped.py", "x = 1")
    with pytest.raises(SubmissionError, match="entry outside its folder"):
        graded(archive)
