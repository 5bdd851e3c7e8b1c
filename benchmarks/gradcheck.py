"""Gradient checks of assignment 1: per-element ("full") against directional ("fast").

Run: .venv/bin/python benchmarks/gradcheck.py [--limit N]

Grades every fixture submission (the reference solution, then the buggy and the correct variants
of tests/fixtures/a1_variants.py) twice, with the manifest's gradient_check.mode set to "full"
and to "fast", on the same student code, and reports per layer family:
- the seconds spent in numerical gradient checks, and in whole gradient tests (which also run
  the student's forward and backward), summed over all fixtures, and their full/fast ratios;
- the objective evaluations per gradient check;
- whether the two modes give every gradient test the same verdict, every buggy fixture loses
  points on exactly the functions it names, and no correct fixture loses any.
With torch installed, it also counts the evaluations torch.autograd.gradcheck(fast_mode=True)
makes on the same layers written in torch.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.a1_variants import BUGGY, CORRECT, SOLUTION, Variant  # noqa: E402

from grader import assignment  # noqa: E402
from grader.grading import grade  # noqa: E402
from grader.reporting.results import Entry  # noqa: E402

FAMILIES = {
    "conv": {"conv_backward_naive"},
    "pooling": {"max_pool_backward_naive", "avg_pool_backward_naive"},
    "batchnorm": {"batchnorm_backward", "batchnorm_backward_alt", "spatial_batchnorm_backward",
                  "layernorm_backward"},
}  # fmt: skip


def family(test_name: str) -> str:
    group = test_name.split(":", 1)[0]
    return next((name for name, groups in FAMILIES.items() if group in groups), "other")


def grade_both(submission: Path, manifest) -> dict[str, list[Entry]]:
    return {
        mode: grade(submission, dataclasses.replace(manifest, gradient_mode=mode)).results.entries
        for mode in ("full", "fast")
    }


def lost_groups(tests: list[Entry], reference: dict[str, float]) -> set[str]:
    scores: dict[str, float] = defaultdict(float)
    for test in tests:
        scores[test.name.split(":", 1)[0]] += test.score
    return {group for group, score in scores.items() if score < reference[group] - 1e-9}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N variants (a quick look)")
    args = parser.parse_args()
    manifest = assignment.find("a1")
    variants: list[tuple[str, Variant | None]] = [("reference solution", None)]
    variants += [("buggy", v) for v in BUGGY] + [("correct", v) for v in CORRECT]
    if args.limit:
        variants = variants[: args.limit + 1]

    seconds = defaultdict(lambda: defaultdict(float))  # [family][mode + kind] -> seconds
    evaluations = defaultdict(lambda: defaultdict(list))
    disagreements, wrong_verdicts = [], []
    reference_scores: dict[str, float] = {}
    for kind, variant in variants:
        with tempfile.TemporaryDirectory() as folder:
            submission = SOLUTION if variant is None else variant.write(Path(folder) / "s")
            runs = grade_both(submission, manifest)
        for mode, tests in runs.items():
            for test in tests:
                extra = test.extra
                if "gradient_evaluations" not in extra:
                    continue
                fam = family(test.name)
                seconds[fam][f"{mode} check"] += extra["gradient_seconds"]
                seconds[fam][f"{mode} test"] += test.duration
                evaluations[fam][mode].append(extra["gradient_evaluations"])
        verdicts = {mode: {t.nodeid: t.status for t in tests
                           if "gradient_evaluations" in t.extra}
                    for mode, tests in runs.items()}  # fmt: skip
        if verdicts["full"] != verdicts["fast"]:
            disagreements.append(variant.name if variant else kind)
        if variant is None:
            for test in runs["fast"]:
                group = test.name.split(":", 1)[0]
                reference_scores[group] = reference_scores.get(group, 0.0) + test.score
            continue
        dependents = {k for k, t in manifest.tests.items() if set(t.depends_on) & variant.affects}
        for mode, tests in runs.items():  # a function's bug also fails the tests that need it
            if lost_groups(tests, reference_scores) != set(variant.affects) | dependents:
                wrong_verdicts.append(f"{variant.name} ({mode})")

    print(f"fixtures: {len(variants)} (reference, {sum(k == 'buggy' for k, _ in variants)} "
          f"buggy, {sum(k == 'correct' for k, _ in variants)} correct)")  # fmt: skip
    print(f"\n{'family':<10} {'check s full':>12} {'fast':>8} {'ratio':>7}   {'test s full':>11} "
          f"{'fast':>8} {'ratio':>7}   {'evals/check full':>16} {'fast':>5}")  # fmt: skip
    for fam in [*FAMILIES, "other"]:
        s, e = seconds[fam], evaluations[fam]
        full_evals, fast_evals = sum(e["full"]) / len(e["full"]), sum(e["fast"]) / len(e["fast"])
        print(
            f"{fam:<10} {s['full check']:>12.2f} {s['fast check']:>8.3f} "
            f"{s['full check'] / s['fast check']:>6.0f}x   {s['full test']:>11.2f} "
            f"{s['fast test']:>8.3f} {s['full test'] / s['fast test']:>6.0f}x   "
            f"{full_evals:>16.0f} {fast_evals:>5.1f}"
        )
    print(f"\ngradient tests with different verdicts in the two modes: {len(disagreements)}"
          + (f" ({', '.join(disagreements)})" if disagreements else ""))  # fmt: skip
    print(
        f"fixtures graded wrongly (buggy: not exactly its functions lost; correct: any lost): "
        f"{len(wrong_verdicts)}" + (f" ({', '.join(wrong_verdicts)})" if wrong_verdicts else "")
    )
    torch_counts()


def torch_counts() -> None:
    """Evaluations torch.autograd.gradcheck's fast mode makes on the same layers in torch."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        print("\ntorch is not installed: torch.autograd.gradcheck counts skipped")
        return
    torch.manual_seed(0)

    def inputs(*shapes):
        return [torch.randn(*s, dtype=torch.float64, requires_grad=True) for s in shapes]

    layers = {
        "conv (x, w, b)": (lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1),
                           inputs((2, 3, 8, 8), (4, 3, 3, 3), (4,))),
        "max pool (x)": (lambda x: F.max_pool2d(x, 2, 2), inputs((2, 3, 8, 8))),
        "avg pool (x)": (lambda x: F.avg_pool2d(x, 2, 2), inputs((2, 3, 8, 8))),
        "batchnorm (x, gamma, beta)": (
            lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True),
            inputs((64, 32), (32,), (32,))),
    }  # fmt: skip
    print(f"\n{'torch layer':<28} {'inputs':>6} {'evals, fast mode':>17} {'per input':>10}")
    for name, (fn, args) in layers.items():
        calls = [0]

        def counted(*a, fn=fn, calls=calls):
            calls[0] += 1
            return fn(*a)

        assert torch.autograd.gradcheck(counted, args, fast_mode=True)
        print(f"{name:<28} {len(args):>6} {calls[0]:>17} {calls[0] / len(args):>10.1f}")


if __name__ == "__main__":
    main()
