"""The geometry a PDF page is read in: transformation matrices, boxes in device space, numbers read from
PDF objects, and a grid that indexes painted boxes by cell (for `readers.pdf`)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from pypdf.generic import IndirectObject

Matrix = tuple[float, float, float, float, float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in device space (the page's default user space)
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
EVERYWHERE: Box = (-math.inf, -math.inf, math.inf, math.inf)

GRID = 48.0  # pt: cell size of the index of painted boxes


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF's row-vector convention: a point p goes to p x m x n)."""
    a, b, c, d, e, f = m
    aa, bb, cc, dd, ee, ff = n
    return (a * aa + b * cc, a * bb + b * dd, c * aa + d * cc, c * bb + d * dd,
            e * aa + f * cc + ee, e * bb + f * dd + ff)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5]


def bbox(points: Iterable[tuple[float, float]]) -> Box:
    xs, ys = zip(*points, strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def box_of(m: Matrix, box: Box) -> Box:
    x0, y0, x1, y1 = box
    return bbox(apply(m, x, y) for x in (x0, x1) for y in (y0, y1))


def meet(a: Box, b: Box) -> Box:
    """The intersection of two boxes; an empty one has no area (and overlaps nothing)."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    return x0, y0, max(x0, min(a[2], b[2])), max(y0, min(a[3], b[3]))


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def holds(outer: Box, inner: Box, tolerance: float = 0.5) -> bool:
    return (outer[0] - tolerance <= inner[0] and outer[1] - tolerance <= inner[1]
            and inner[2] <= outer[2] + tolerance and inner[3] <= outer[3] + tolerance)


def area(b: Box) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def centre(b: Box) -> tuple[float, float]:
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


def num(x: Any) -> float:
    v = float(x)
    if not math.isfinite(v):
        raise ValueError("not a finite number")
    return v


def page_box(rect: Any) -> Box:
    x0, y0, x1, y1 = (float(v) for v in list(rect)[:4])
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def matrix(obj: Any) -> Matrix:
    a, b, c, d, e, f = numbers(obj, 6)
    return a, b, c, d, e, f


def numbers(obj: Any, n: int) -> list[float]:
    if isinstance(obj, IndirectObject):
        obj = obj.get_object()
    values = [num(v) for v in list(obj)[:n]]
    if len(values) < n:
        raise ValueError(f"{n} numbers expected")
    return values


def grid_cell(x: float, y: float) -> tuple[int, int]:
    return int(math.floor(x / GRID)), int(math.floor(y / GRID))


def grid_cells(box: Box) -> Iterable[tuple[int, int]]:
    if area(box) <= 0 or not all(map(math.isfinite, box)):
        return []
    x0, y0 = grid_cell(box[0], box[1])
    x1, y1 = grid_cell(box[2], box[3])
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def axis_aligned(m: Matrix) -> bool:
    return (abs(m[1]) < 1e-9 and abs(m[2]) < 1e-9) or (abs(m[0]) < 1e-9 and abs(m[3]) < 1e-9)
