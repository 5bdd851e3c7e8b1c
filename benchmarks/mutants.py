"""How many mutants of an assignment's reference solution its tests catch: the mutation score.

Run: .venv/bin/pip install -e '.[mutants]'
     .venv/bin/python benchmarks/mutants.py a1 [--seed 0] [--workers 2] [--limit N]

cosmic-ray (a mutation-testing library) lists every single-point mutation of the reference's
files: an operator replaced (``+`` by ``-``, ``>`` by ``>=``...), a number changed, a unary
operator dropped, a loop made to run zero times. Each mutant (the reference with that one change)
is graded as a submission against the untouched reference, with the inputs seed ``--seed``, in
``--workers`` processes. A mutant is caught when any test loses points.

Printed: how many were caught, then each surviving mutant as its file, line and function and the
line before and after. A survivor is either equivalent (the change makes no difference that the
assignment's contract lets a test see: ``>`` for ``>=`` at a kink the tests avoid, say) or a
behaviour no test grades; the second kind is a test to write. Binary operators are not replaced
by ``%`` or by bitwise and shift operators: on floating-point arrays those mutants fail at once,
and they would almost double the run (1,050 of a1's 2,392); the few on integer arithmetic
(strides, epoch counts) go unmeasured. The unmutated reference is graded first and must get
full marks; a mutant whose grading breaks is counted apart, not as caught. This measures the
tests, not the grader's speed: about six minutes for a1's 1,342 mutants with two workers on
the development machine.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from grader import assignment
from grader.grading import grade

#: Replacement operators left out (see the docstring).
FAILS_AT_ONCE = re.compile(
    r"core/ReplaceBinaryOperator_\w+_(Mod|RShift|LShift|BitOr|BitAnd|BitXor)$"
)


@dataclass(frozen=True)
class Mutant:
    file: str
    line: int
    function: str
    operator: str
    source: str


def mutants(reference: Path, files: list[str]) -> Iterator[Mutant]:
    """Every mutant of ``files`` in ``reference`` that cosmic-ray's operators make."""
    try:
        from cosmic_ray.commands.init import init
        from cosmic_ray.mutating import mutate_code
        from cosmic_ray.plugins import get_operator
        from cosmic_ray.work_db import use_db
    except ImportError:
        sys.exit("benchmarks/mutants.py needs cosmic-ray: pip install -e '.[mutants]'")
    paths = [reference / name for name in files]
    with tempfile.TemporaryDirectory() as work, use_db(Path(work) / "session.sqlite") as db:
        init(paths, db, {})
        items = [item.mutations[0] for item in db.pending_work_items]
    sources = {path: path.read_text() for path in paths}
    for spec in sorted(items, key=lambda s: (str(s.module_path), s.start_pos)):
        if FAILS_AT_ONCE.match(spec.operator_name):
            continue
        path = Path(spec.module_path)
        original = sources[path]
        operator = get_operator(spec.operator_name)(**spec.operator_args)
        mutated = mutate_code(original, operator, spec.occurrence)
        if mutated is not None and mutated != original:
            where = (path.name, spec.start_pos[0], spec.definition_name or "")
            yield Mutant(*where, spec.operator_name, mutated)


def caught(name: str, mutant: Mutant | None, seed: int) -> bool | str:
    """Whether grading the reference with ``mutant`` in place (None: the reference itself)
    loses any point, or why the grading broke."""
    manifest = assignment.find(name)
    assert manifest.reference is not None
    try:
        with tempfile.TemporaryDirectory() as work:
            submission = Path(shutil.copytree(manifest.reference, Path(work) / "submission"))
            if mutant is not None:
                (submission / mutant.file).write_text(mutant.source)
            results = grade(submission, manifest, inputs_seed=seed).results.to_gradescope()
    except Exception as exc:  # one broken grading must not lose the others' verdicts
        return f"{type(exc).__name__}: {exc}"
    return any(test["score"] < test["max_score"] for test in results["tests"])


def changed_line(reference: Path, mutant: Mutant) -> str:
    before = (reference / mutant.file).read_text().splitlines()[mutant.line - 1].strip()
    after = mutant.source.splitlines()[mutant.line - 1].strip()
    return f"{before}  ->  {after}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", help="a bundled assignment with a reference (a1, a3)")
    parser.add_argument("--seed", type=int, default=0, help="the inputs seed of every grading")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, help="grade only the first N mutants")
    args = parser.parse_args()
    manifest = assignment.find(args.assignment)
    if manifest.reference is None:
        sys.exit(f"{args.assignment} has no reference solution to mutate")
    files = [f for f in (*manifest.required_files, *manifest.optional_files) if f.endswith(".py")]
    if caught(args.assignment, None, args.seed) is not False:
        sys.exit(f"the reference does not get full marks with seed {args.seed}: fix that first")
    found = list(mutants(manifest.reference, files))[: args.limit]
    print(f"{len(found)} mutants of {', '.join(files)} in {manifest.reference}, seed {args.seed}")
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        verdicts = list(pool.map(caught, [args.assignment] * len(found), found,
                                 [args.seed] * len(found)))  # fmt: skip
    broken = [(m, v) for m, v in zip(found, verdicts, strict=True) if isinstance(v, str)]
    survivors = [m for m, v in zip(found, verdicts, strict=True) if v is False]
    hit = len(found) - len(survivors) - len(broken)
    print(f"caught {hit} of {len(found)} ({hit / max(len(found), 1):.1%}); gradings that broke: "
          f"{len(broken)}; survivors:")  # fmt: skip
    for mutant, why in broken:
        print(f"  broke: {mutant.file}:{mutant.line} {mutant.function}: {why}")
    for mutant in survivors:
        print(f"  {mutant.file}:{mutant.line} {mutant.function} ({mutant.operator}): "
              f"{changed_line(manifest.reference, mutant)}")  # fmt: skip


if __name__ == "__main__":
    main()
