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

#: Centres of the canvas pixels along x (a row's) and along y (a column's).
_CENTRES = (np.arange(_CANVAS) + 0.5) / _CANVAS
#: Each digit's strokes as arrays, and how many normal numbers an image of it draws: 2 for
#: each stroke's shift and 2 for each of its points.
_STROKE_ARRAYS = {label: [np.array(s) for s in strokes] for label, strokes in STROKES.items()}
_NORMALS = {label: sum(2 + s.size for s in strokes) for label, strokes in _STROKE_ARRAYS.items()}


def _uniform(u: np.ndarray, low: float, high: float) -> np.ndarray:
    """What ``Generator.uniform(low, high)`` makes of the doubles ``u`` that
    ``Generator.random`` draws in its place, bit for bit: one call for several numbers."""
    return low + (high - low) * u


def _segments(label: int, poses: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """The strokes of images of one digit, bent and placed at random: (images, segments, 2 ends,
    xy), from each image's 6 pose numbers (uniform in [0, 1)) and its standard normal ones. The
    arithmetic is an image's own, image by image (a stack of matrix products is the same
    products), so that an image does not depend on those drawn with it."""
    angle = np.deg2rad(_uniform(poses[:, 0], -12, 12))
    cos, sin = np.cos(angle), np.sin(angle)
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], 1)
    shear, scale = np.zeros_like(rotation), np.zeros_like(rotation)
    shear[:, 0, 0], shear[:, 0, 1], shear[:, 1, 1] = 1.0, _uniform(poses[:, 1], -0.25, 0.25), 1.0
    scale[:, 0, 0] = _uniform(poses[:, 2], 0.75, 1.1)
    scale[:, 1, 1] = _uniform(poses[:, 3], 0.8, 1.1)
    transform = (rotation @ shear @ scale).transpose(0, 2, 1)
    shift = np.array([0.5, 0.5]) + _uniform(poses[:, 4:6], -0.07, 0.07)
    parts, used = [], 0
    for stroke in _STROKE_ARRAYS[label]:  # Generator.normal(0, scale) is 0 + scale * z
        moved = 0.0 + 0.025 * normals[:, used : used + 2]
        bent = 0.0 + 0.012 * normals[:, used + 2 : used + 2 + stroke.size]
        used += 2 + stroke.size
        points = stroke + moved[:, None] + bent.reshape(-1, *stroke.shape)
        points = (points - 0.5) @ transform + shift[:, None]
        parts.append(np.stack([points[:, :-1], points[:, 1:]], axis=2))
    return np.concatenate(parts, axis=1)


def _draw(segments: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Ink within ``widths`` of any segment (edges soft over one canvas pixel), averaged per
    2x2 block, in [0, 1]: (images, 64) from segments (images, segments, 2 ends, xy). A pixel's
    x offset depends on its column only and its y offset on its row, and the nearest segment
    is kept segment by segment: a few canvas-sized arrays instead of one per segment."""
    nearest = np.full((len(segments), _CANVAS, _CANVAS), np.inf)
    starts, ends = segments[:, :, 0].transpose(1, 2, 0), segments[:, :, 1].transpose(1, 2, 0)
    for (sx, sy), (ex, ey) in zip(starts, ends, strict=True):
        sx, sy, dx, dy = (v[:, None, None] for v in (sx, sy, ex - sx, ey - sy))
        lengths = np.maximum(dx * dx + dy * dy, 1e-12)
        across, down = _CENTRES[None, None, :] - sx, _CENTRES[None, :, None] - sy
        along = np.clip((across * dx + down * dy) / lengths, 0.0, 1.0)
        gap_x, gap_y = across - along * dx, down - along * dy
        np.minimum(nearest, gap_x * gap_x + gap_y * gap_y, out=nearest)
    distance = np.sqrt(nearest).reshape(-1, _CANVAS * _CANVAS)
    ink = np.clip((widths[:, None] - distance) * _CANVAS + 0.5, 0.0, 1.0).reshape(-1, 8, 2, 8, 2)
    return ink.mean(axis=(2, 4)).reshape(-1, 64)


def draw_digits(count: int, seed: int | np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` images (count, 64) with pixels in [0, 1] and their labels, the ten digits
    equally often, all drawn from ``seed``: the generator is read image by image (its pose,
    then its strokes' noise), then the images are drawn a digit at a time."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % 10)
    poses, normals = np.empty((count, 6)), []
    for pose, label in zip(poses, labels, strict=True):
        rng.random(out=pose)
        normals.append(rng.standard_normal(_NORMALS[label]))
    widths = rng.uniform(0.045, 0.08, count)
    images = np.zeros((count, 64))
    for label in range(10):
        where = np.flatnonzero(labels == label)
        if len(where):
            segments = _segments(label, poses[where], np.stack([normals[i] for i in where]))
            images[where] = _draw(segments, widths[where])
    return images, labels.astype(np.int64)
