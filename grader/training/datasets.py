"""Datasets available offline: scikit-learn's 8x8 digits, digits drawn from strokes with a
held-out set no one else has (grader.training.synthetic), and CIFAR-10 from a local folder."""

from __future__ import annotations

import gzip
import importlib.util
import os
import pickle
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from grader.training.synthetic import draw_digits

#: Environment variable naming a folder with CIFAR-10's python batches (cifar-10-batches-py).
CIFAR_VARIABLE = "GRADER_CIFAR10"


@dataclass(frozen=True)
class Split:
    """Train, validation and test arrays. Test labels stay in the grader process."""

    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


@cache
def digits(seed: int = 0) -> Split:
    """The 1,797 8x8 digits shipped with scikit-learn, pixels scaled to [0, 1], shuffled with
    ``seed`` and split 1,200 / 300 / 297."""
    pixels, labels = _digits_file()
    order = np.random.default_rng(seed).permutation(len(labels))
    x, y = pixels[order] / 16.0, labels[order].astype(np.int64)
    return Split(x[:1200], y[:1200], x[1200:1500], y[1200:1500], x[1500:], y[1500:])


def _digits_file() -> tuple[np.ndarray, np.ndarray]:
    """The pixels and labels of scikit-learn's digits.csv.gz, the values its load_digits reads,
    but without importing scikit-learn (which imports SciPy: seconds, more than a1's grade)."""
    with gzip.open(_digits_path(), mode="rt", encoding="utf-8") as text:
        # Whole numbers (pixels 0 to 16, labels): read as integers, 5 ms instead of 29 as floats
        table = np.loadtxt(text, delimiter=",", dtype=np.uint8)
    return table[:, :-1], table[:, -1].astype(int)


def _digits_path() -> Path:
    spec = importlib.util.find_spec("sklearn")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("scikit-learn, whose digits the grader uses, is not installed")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"


@cache
def _drawn_training() -> tuple[np.ndarray, np.ndarray]:
    return draw_digits(1500, np.random.default_rng([0, 0]))


def drawn_digits(test_seed: int) -> Split:
    """Digits drawn from strokes: 1,200 training and 300 validation images, the same on every
    run, and 300 test images drawn from ``test_seed``, which a real grade keeps secret (the
    ``rng`` fixture's), so that neither they nor their labels exist anywhere else."""
    x, y = _drawn_training()
    test_x, test_y = draw_digits(300, np.random.default_rng([1, test_seed]))
    return Split(x[:1200], y[:1200], x[1200:], y[1200:], test_x, test_y)


class _BatchUnpickler(pickle.Unpickler):
    """CIFAR batches are pickles: allow only what they contain (numpy arrays), nothing else."""

    ALLOWED = frozenset({
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
    })  # fmt: skip

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"CIFAR batch refers to {module}.{name}")
        return super().find_class(module, name)


def _batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with path.open("rb") as handle:
        batch = _BatchUnpickler(handle, encoding="bytes").load()
    x = np.asarray(batch[b"data"], dtype=np.float32).reshape(-1, 3, 32, 32) / 255.0
    return x, np.asarray(batch[b"labels"], dtype=np.int64)


def cifar10(folder: Path | None = None, validation: int = 1000) -> Split:
    """CIFAR-10 from the standard python batches in ``folder`` (or $GRADER_CIFAR10): the five
    training batches (the last ``validation`` images for validation) and the test batch."""
    folder = folder or (Path(os.environ[CIFAR_VARIABLE]) if CIFAR_VARIABLE in os.environ else None)
    if folder is None or not (folder / "test_batch").is_file():
        raise FileNotFoundError(
            f"no CIFAR-10 batches in {folder or 'an unset folder'}: name the folder that holds "
            f"data_batch_1..5 and test_batch in the manifest or in ${CIFAR_VARIABLE}"
        )
    parts = [_batch(path) for path in sorted(folder.glob("data_batch_*"))]
    x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    test_x, test_y = _batch(folder / "test_batch")
    cut = len(y) - validation
    return Split(x[:cut], y[:cut], x[cut:], y[cut:], test_x, test_y)
