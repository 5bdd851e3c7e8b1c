"""Gradient checks of conv_forward_naive at the a1 test sizes: per-element ("full") against
directional ("fast"), side by side in one process, without grading.

Run: .venv/bin/python benchmarks/gradcheck_conv.py [--runs N]

Checks dx, dw and db of the reference solution's conv_forward_naive for the three cases of
assignments/a1/tests/test_conv.py, with GradientChecker.check in both modes (given f(x), as
the test gives it the reference output it computed for dout's shape), and prints for
each run the seconds the checker spent in numerical checks (its own clock: full mode once, fast
mode the median of 9 repetitions, its times being milliseconds), the evaluations, and the
full/fast ratio; then the medians over the runs. Quicker and steadier than
benchmarks/gradcheck.py on a loaded machine (the time goes to the checks alone, not to grading
67 fixtures).
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import inspect
import statistics
from pathlib import Path

import numpy as np

from grader.checks import GradientChecker

try:
    from grader.checks import summed
except ImportError:  # a checker from before plain callables (for a before/after comparison)
    from grader.checks import Objective

    summed = Objective.of
#: Whether the checker takes f(x) from the test (a before/after comparison: it did not before).
TAKES_CENTER = "center" in inspect.signature(GradientChecker.check).parameters

ROOT = Path(__file__).resolve().parent.parent
#: (x shape, w shape, stride, pad) of assignments/a1/tests/test_conv.py.
CASES = [((2, 3, 8, 8), (4, 3, 3, 3), 1, 1), ((3, 3, 9, 8), (4, 3, 3, 2), 2, 0),
         ((1, 3, 7, 9), (2, 3, 3, 5), 2, 2)]  # fmt: skip


def conv_checks(layers, rng: np.random.Generator) -> list[tuple]:
    """(name, analytic gradient, forward, dout, point, f(point)) for each gradient of each
    case; f(point) from the forward the test runs for the shape of dout, as in test_conv."""
    checks = []
    for x_shape, w_shape, stride, pad in CASES:
        args = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
        args.append(rng.standard_normal(w_shape[0]))
        param = {"stride": stride, "pad": pad}
        out, cache = layers.conv_forward_naive(*args, dict(param))
        dout = rng.standard_normal(out.shape)
        grads = layers.conv_backward_naive(dout, cache)
        for position, name in enumerate(("dx", "dw", "db")):

            def forward(point, position=position, args=args, param=param):
                varied = [*args[:position], point, *args[position + 1 :]]
                return layers.conv_forward_naive(*varied, copy.deepcopy(param))[0]

            center = float(np.sum(out * dout))
            checks.append((name, grads[position], forward, dout, args[position], center))
    return checks


def run(checks: list[tuple], mode: str, seed: int) -> tuple[float, int]:
    """Seconds inside the checker and evaluations, over all checks in one mode."""
    seconds, evaluations = 0.0, 0
    for name, grad, forward, dout, point, center in checks:
        checker = GradientChecker(1e-6, np.random.default_rng(seed), mode, directions=2)
        given = {"center": center} if TAKES_CENTER else {}
        checker.check(name, grad, summed(forward, dout), point, **given)
        seconds, evaluations = seconds + checker.seconds, evaluations + checker.evaluations
    return seconds, evaluations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("layers", ROOT / "solutions/a1/layers.py")
    assert spec is not None and spec.loader is not None
    layers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(layers)
    checks = conv_checks(layers, np.random.default_rng(0))
    print(f"{'run':>3} {'full s':>8} {'evals':>6} {'fast ms':>8} {'evals':>6} {'ratio':>7}")
    rows = []
    for k in range(args.runs):
        full, full_evals = run(checks, "full", k)
        fast_runs = [run(checks, "fast", k) for _ in range(9)]
        fast, fast_evals = statistics.median(s for s, _ in fast_runs), fast_runs[0][1]
        rows.append((full, fast, full / fast))
        print(f"{k:>3} {full:>8.3f} {full_evals:>6} {1000 * fast:>8.2f} {fast_evals:>6} "
              f"{full / fast:>6.0f}x")  # fmt: skip
    full, fast, ratio = (statistics.median(column) for column in zip(*rows, strict=True))
    print(f"median: full {full:.3f} s, fast {1000 * fast:.2f} ms, ratio {ratio:.0f}x "
          f"({len(checks)} checks a run)")  # fmt: skip


if __name__ == "__main__":
    main()
