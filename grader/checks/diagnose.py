"""Explain how a wrong gradient is wrong, for the student: a known pattern (scaled, sign
flipped, transposed, all zeros, off by the batch size) or where the wrong elements are (the
border of an image, some examples, some channels)."""

from __future__ import annotations

import numpy as np

from grader.checks.compare import two_numbers


def describe_shape_error(name: str, found: tuple[int, ...], expected: tuple[int, ...]) -> str:
    """Why a gradient may have the wrong shape, when the shapes suggest a known mistake."""
    message = f"{name}: expected shape {expected}, got shape {found}"
    if len(found) == len(expected) == 2 and found == expected[::-1]:
        return f"{message}: it looks transposed."
    if len(found) == len(expected) == 4 and found[:2] == expected[:2]:
        grown = (found[2] - expected[2], found[3] - expected[3])
        if grown[0] == grown[1] > 0 and grown[0] % 2 == 0:
            return f"{message}: it still includes the zero padding; crop it off."
    if len(found) == len(expected) + 1 and found[1:] == expected:
        return f"{message}: did you forget to sum over the batch (axis 0)?"
    return f"{message}."


def describe_gradient_error(
    name: str, found: np.ndarray, expected: np.ndarray, tolerance: float, batch_size: int | None
) -> str:
    """One or two sentences on how ``found`` differs from ``expected`` (same shapes)."""
    pattern = known_mistake(name, found, expected, batch_size)
    if pattern:
        return pattern
    return _where(name, found, expected, tolerance)


def known_mistake(name: str, found: np.ndarray, expected: np.ndarray, n: int | None) -> str | None:
    """The known pattern of a wrong gradient (scaled, sign flipped, transposed, all zeros, off
    by the batch size ``n``), or None: a test that suspects another cause (numerical
    stability at extreme inputs) names it only where this finds none."""
    if not np.any(found) and np.any(expected):
        return f"{name} is all zeros."
    if found.ndim == 2 and found.shape[0] == found.shape[1] and _close(found, expected.T):
        return f"{name} looks transposed: it equals the transpose of the right gradient."
    denominator = float(np.sum(expected * expected))
    if denominator == 0:
        return None
    factor = float(np.sum(found * expected)) / denominator
    if not _close(found, factor * expected) or abs(factor - 1) < 1e-3:
        return None  # not a multiple, or the right one give or take rounding (float32)
    if abs(factor + 1) < 1e-6:
        return f"{name} has the wrong sign: it is the negative of the right gradient."
    if n and n > 1 and abs(factor - n) < 1e-6 * n:
        return (f"{name} is {n} times too large (N = {n}): did you forget to divide by the batch "
                "size, or sum where you should average?")  # fmt: skip
    if n and n > 1 and abs(factor * n - 1) < 1e-6:
        return (f"{name} is {n} times too small (N = {n}): did you divide by the batch size "
                "twice, or average where you should sum over the batch?")  # fmt: skip
    return f"{name} is off by a constant factor: it is {factor:.4g} times the right gradient."


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))


def _where(name: str, found: np.ndarray, expected: np.ndarray, tolerance: float) -> str:
    scale = np.maximum(np.abs(found) + np.abs(expected), 1e-8 * max(np.abs(expected).max(), 1.0))
    wrong = np.abs(found - expected) / scale > max(tolerance, 1e-9)
    count, total = int(wrong.sum()), wrong.size
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    example = f"for example at index {first} {two_numbers(expected[first], found[first])}"
    if count == total:
        return f"{name} is wrong everywhere; {example}."
    place = _filters(wrong) if name == "dw" else _region(wrong)
    where = f" {place}" if place else ""
    return f"{name} is wrong at {count} of {total} elements{where}; {example}."


def _region(wrong: np.ndarray) -> str | None:
    """Name the part of an (N, C, H, W) or (N, D) array where all the wrong elements are."""
    if wrong.ndim == 4 and min(wrong.shape[2:]) > 2:
        band = _border_band(wrong.any(axis=(0, 1)))
        if band is not None:
            within = "on the border" if band == 1 else f"within {band} pixels of the border"
            return f"(only {within} of each image: check your padding)"
    if wrong.ndim >= 2 and wrong.shape[0] > 1:
        examples = np.flatnonzero(wrong.reshape(wrong.shape[0], -1).any(axis=1))
        if len(examples) < wrong.shape[0]:
            return f"(only in example{'s' * (len(examples) > 1)} {_list(examples)} of the batch)"
    if wrong.ndim == 4 and wrong.shape[1] > 1:
        channels = np.flatnonzero(wrong.any(axis=(0, 2, 3)))
        if len(channels) < wrong.shape[1]:
            return f"(only in channel{'s' * (len(channels) > 1)} {_list(channels)})"
    return None


def _filters(wrong: np.ndarray) -> str | None:
    """Name the filters of an (F, C, HH, WW) filter gradient where all the wrong elements are
    (its first axis counts filters, not examples)."""
    if wrong.ndim != 4:
        return None
    for axis, what in ((0, "filter"), (1, "input channel")):
        others = tuple(a for a in range(4) if a != axis)
        hit = np.flatnonzero(wrong.any(axis=others))
        if len(hit) < wrong.shape[axis]:
            return f"(only in {what}{'s' * (len(hit) > 1)} {_list(hit)})"
    return None


def _border_band(wrong: np.ndarray) -> int | None:
    """The narrowest band along the edges of an (H, W) map holding every wrong element, if it
    leaves some of the interior right."""
    h, w = wrong.shape
    rows, cols = np.nonzero(wrong)
    distance = np.minimum.reduce([rows, cols, h - 1 - rows, w - 1 - cols])
    band = int(distance.max()) + 1
    return band if 2 * band < min(h, w) else None


def _list(indices: np.ndarray) -> str:
    shown = ", ".join(str(int(i)) for i in indices[:5])
    return shown + (", ..." if len(indices) > 5 else "")
