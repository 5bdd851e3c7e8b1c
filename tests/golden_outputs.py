"""The outputs the grader shows on the bundled assignments and a few buggy fixtures: each
case's results.json and terminal table (``grader grade`` / ``grader check``) and a batch's
summary.csv and report.md, with only what legitimately varies run to run normalised (times,
temporary paths, the secret inputs seed, which is pinned).

tests/test_golden.py compares them with tests/golden/, byte for byte. After a deliberate change
of the output, regenerate the goldens with ``python tests/golden_outputs.py`` and review the diff.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
GOLDEN = TESTS / "golden"
sys.path.insert(0, str(TESTS))

from fixtures import a1_variants, a3_variants  # noqa: E402

from grader.cli import main  # noqa: E402

#: The inputs seed of every golden grading (the real grade draws a secret one per run).
SEED = 20261129
#: Terminal width of the tables.
COLUMNS = "160"


@dataclass(frozen=True)
class Case:
    name: str
    assignment: str
    #: Writes the submission into the given folder and returns its path.
    make: Callable[[Path], Path]
    verb: str = "grade"


def _copy(source: Path) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        return Path(shutil.copytree(source, folder / "submission"))

    return make


def _variant(variant: a1_variants.Variant | a3_variants.Variant) -> Callable[[Path], Path]:
    return lambda folder: variant.write(folder / "submission")


def _without(source: Path, name: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        submission = Path(shutil.copytree(source, folder / "submission"))
        (submission / name).unlink()
        return submission

    return make


def _notebook(folder: Path) -> Path:
    """The a1 reference as one notebook, with a statement that is not run (a note)."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    code = "\n\n".join((ROOT / "solutions" / "a1" / f).read_text() for f in
                       ("layers.py", "optim.py", "init.py"))  # fmt: skip
    notebook.cells = [nbformat.v4.new_code_cell(code), nbformat.v4.new_code_cell("print('hi')")]
    path = folder / "submission.ipynb"
    nbformat.write(notebook, str(path))
    return path


def _a1_bug(name: str) -> Callable[[Path], Path]:
    return _variant(next(v for v in a1_variants.BUGGY if v.name == name))


A1, A3 = ROOT / "solutions" / "a1", ROOT / "solutions" / "a3"
CASES = [
    Case("a1-solution", "a1", _copy(A1)),
    Case("a1-stubs", "a1", _copy(ROOT / "assignments" / "a1")),
    Case("a1-check-solution", "a1", _copy(A1), verb="check"),
    Case("a1-check-stubs", "a1", _copy(ROOT / "assignments" / "a1"), verb="check"),
    Case("a1-missing-optim", "a1", _without(A1, "optim.py")),
    Case("a1-notebook", "a1", _notebook),
    Case("a1-bug-affine-bias", "a1", _a1_bug("affine_forward without the bias")),
    Case("a1-bug-first", "a1", _variant(a1_variants.BUGGY[3])),
    Case(
        "a1-bug-batchnorm",
        "a1",
        _variant(next(v for v in a1_variants.BUGGY if v.name.startswith("batchnorm_backward"))),
    ),
    Case("a2-stubs", "a2", _copy(ROOT / "assignments" / "a2")),
    Case("a3-solution", "a3", _copy(A3)),
    Case("a3-stubs", "a3", _copy(ROOT / "assignments" / "a3")),
    Case("a3-check-solution", "a3", _copy(A3), verb="check"),
    Case("a3-bug-first", "a3", _variant(a3_variants.BUGGY[0])),
    Case("a3-bug-sixth", "a3", _variant(a3_variants.BUGGY[5])),
]


@contextlib.contextmanager
def _pinned() -> Iterator[None]:
    """The secret inputs seed pinned, the table's width fixed, no colours."""
    with (
        mock.patch("secrets.randbits", lambda bits: SEED),
        mock.patch.dict("os.environ", {"COLUMNS": COLUMNS, "NO_COLOR": "1", "TERM": "dumb"}),
    ):
        yield


def _normalise(text: str, paths: dict[str, str]) -> str:
    """Times and temporary paths replaced by placeholders, numbers other than scores rounded to
    10 significant digits; everything else as written."""
    for path, name in sorted(paths.items(), key=lambda item: -len(item[0])):
        text = text.replace(path, name)
    text = re.sub(r"/tmp/grader-[\w-]+", "<workdir>", text)
    # A training's losses differ in their last bits from one CPU to another: numpy's BLAS picks
    # its kernels for the CPU (Haswell, SkylakeX), and they sum in different orders. Scores stay
    # exact: a point short by one ulp shows on Gradescope.
    text = re.sub(r'(?<!"score": )(?<!"max_score": )\b\d+\.\d{10,}(?:e[+-]?\d+)?',
                  lambda m: repr(float(f"{float(m[0]):.10g}")), text)  # fmt: skip
    text = re.sub(r'("(?:execution_time|duration|gradient_seconds|seconds)": )[\d.e+-]+',
                  r"\g<1>0", text)  # fmt: skip
    return re.sub(r"\b\d+\.\d+ s\b", "<seconds> s", text)


def produce(case: Case) -> dict[str, str]:
    """``results.json`` and ``table.txt`` of one case, normalised."""
    with tempfile.TemporaryDirectory(prefix="golden-") as work, _pinned():
        folder = Path(work)
        submission = case.make(folder)
        output = folder / "out" / "results.json"
        args = [case.verb, str(submission), "--assignment", case.assignment]
        if case.verb == "grade":
            args += ["--output", str(output)]
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            main(args)
        paths = {str(submission): "<submission>", str(folder): "<folder>"}
        table = "\n".join(line.rstrip() for line in printed.getvalue().splitlines()
                          if not line.startswith("sandbox:"))  # fmt: skip
        files = {"table.txt": _normalise(table + "\n", paths)}
        if output.exists():
            files["results.json"] = _normalise(output.read_text(), paths)
        return files


def produce_batch() -> dict[str, str]:
    """summary.csv and report.md of a batch whose scores no inputs seed changes, graded then
    resumed (the second run reads the first's results.json files back)."""
    with tempfile.TemporaryDirectory(prefix="golden-") as work:
        folder = Path(work)
        source = folder / "submissions"
        source.mkdir()
        shutil.copytree(A1, source / "solution")
        shutil.copytree(ROOT / "assignments" / "a1", source / "=stubs")
        _without(A1, "init.py")(folder / "missing")
        shutil.move(folder / "missing" / "submission", source / "missing-init")
        with zipfile.ZipFile(source / "broken.zip", "w") as archive:
            archive.writestr("../evil.py", "x = 1\n")
        files: dict[str, str] = {}
        for run in ("first", "resumed"):
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                main(["batch", str(source), "-a", "a1", "-o", str(folder / "out"),
                      "--workers", "1"])  # fmt: skip
            if run == "resumed" and "Graded 0 submissions now" not in printed.getvalue():
                raise AssertionError(f"the batch did not resume: {printed.getvalue()}")
            for name in ("summary.csv", "report.md"):
                files[f"{run}-{name}"] = (folder / "out" / name).read_text()
        return files


def expected(folder: str) -> dict[str, str]:
    """The golden files of one case (or ``batch``)."""
    return {p.name: p.read_text() for p in sorted((GOLDEN / folder).iterdir())}


def regenerate() -> None:
    for case in CASES:
        _write(case.name, produce(case))
    _write("batch", produce_batch())


def _write(name: str, files: dict[str, str]) -> None:
    folder = GOLDEN / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for file, text in files.items():
        (folder / file).write_text(text)
    print(f"wrote {folder}")


if __name__ == "__main__":
    regenerate()
