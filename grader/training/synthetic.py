"""Handwriting-like 8x8 digits drawn from strokes, so that held-out images can be new ones.

Every public dataset can be looked up by student code (scikit-learn's digits are importable in
the worker, and any other can be pasted into a submission), so a test set taken from one hands
out its labels. These images are drawn for each grading run from a seed that only the grader
knows: each digit's strokes are bent, slanted, rotated, scaled and moved at random, drawn with
a random pen width on a 16x16 canvas (edges anti-aliased) and reduced to 8x8 by averaging ink
in 2x2 blocks, much as the UCI optical digits behind scikit-learn's were made. Knowing this
code gives no labels: telling the digits apart is the classification the test measures.
"""

from __future__ import annotations

import numpy as np

_CANVAS = 16  # 2x2 blocks of it make one of the 8x8 pixels


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> list:
    angles = np.deg2rad(np.linspace(start, end, 14))
    return list(zip(cx + rx * np.cos(angles), cy + ry * np.sin(angles), strict=True))


#: Strokes of each digit: polylines in a unit square, x to the right and y down.
STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [_arc(0.5, 0.5, 0.27, 0.4, 0, 360)],
    1: [[(0.32, 0.28), (0.55, 0.1), (0.55, 0.9)]],
    2: [[*_arc(0.5, 0.32, 0.26, 0.22, 180, 390), (0.22, 0.9), (0.8, 0.9)]],
    3: [_arc(0.48, 0.3, 0.25, 0.2, -160, 90), _arc(0.48, 0.7, 0.28, 0.2, -90, 160)],
    4: [[(0.66, 0.9), (0.66, 0.1), (0.2, 0.64), (0.84, 0.64)]],
    5: [[(0.78, 0.1), (0.32, 0.1), (0.28, 0.46), *_arc(0.5, 0.66, 0.27, 0.24, -125, 150)]],
    6: [[(0.7, 0.1), (0.42, 0.3), (0.25, 0.64)], _arc(0.5, 0.68, 0.25, 0.22, 0, 360)],
    7: [[(0.2, 0.1), (0.8, 0.1), (0.42, 0.9)]],
    8: [_arc(0.5, 0.29, 0.22, 0.19, 0, 360), _arc(0.5, 0.7, 0.27, 0.21, 0, 360)],
    9: [_arc(0.5, 0.32, 0.25, 0.22, 0, 360), [(0.75, 0.36), (0.7, 0.9)]],
}

_PIXELS = (np.stack(np.meshgrid(np.arange(_CANVAS), np.arange(_CANVAS)), -1).reshape(-1, 2)
           + 0.5) / _CANVAS  # fmt: skip


def _segments(label: int, rng: np.random.Generator) -> np.ndarray:
    """The digit's strokes, bent and placed at random: (segments, 2 ends, xy)."""
    angle, slant = np.deg2rad(rng.uniform(-12, 12)), rng.uniform(-0.25, 0.25)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    transform = (
        rotation
        @ np.array([[1.0, slant], [0.0, 1.0]])
        @ np.diag([rng.uniform(0.75, 1.1), rng.uniform(0.8, 1.1)])
    )
    shift = np.array([0.5, 0.5]) + rng.uniform(-0.07, 0.07, 2)
    parts = []
    for stroke in STROKES[label]:
        points = (
            np.asarray(stroke) + rng.normal(0, 0.025, 2) + rng.normal(0, 0.012, (len(stroke), 2))
        )
        points = (points - 0.5) @ transform.T + shift
        parts.append(np.stack([points[:-1], points[1:]], axis=1))
    return np.concatenate(parts)


def _draw(segments: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Ink within ``widths`` of any segment (edges soft over one canvas pixel), averaged per
    2x2 block, in [0, 1]: (images, 64) from segments (images, segments, 2 ends, xy)."""
    start, direction = segments[:, :, 0], segments[:, :, 1] - segments[:, :, 0]
    lengths = np.maximum((direction**2).sum(-1), 1e-12)[:, None]
    offsets = _PIXELS[None, :, None, :] - start[:, None]
    along = np.clip((offsets * direction[:, None]).sum(-1) / lengths, 0.0, 1.0)
    gap = offsets - along[..., None] * direction[:, None]
    distance = np.sqrt((gap**2).sum(-1).min(axis=2))
    ink = np.clip((widths[:, None] - distance) * _CANVAS + 0.5, 0.0, 1.0).reshape(-1, 8, 2, 8, 2)
    return ink.mean(axis=(2, 4)).reshape(-1, 64)


def draw_digits(count: int, seed: int | np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` images (count, 64) with pixels in [0, 1] and their labels, the ten digits
    equally often, all drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % 10)
    strokes = [_segments(int(y), rng) for y in labels]
    widths = rng.uniform(0.045, 0.08, count)
    longest = max((len(s) for s in strokes), default=1)
    padded = np.stack(
        [np.concatenate([s, np.repeat(s[-1:], longest - len(s), 0)]) for s in strokes]
    )
    images = [_draw(padded[i : i + 64], widths[i : i + 64]) for i in range(0, count, 64)]
    return np.concatenate(images) if images else np.zeros((0, 64)), labels.astype(np.int64)
