"""Scan damage as real printed-and-scanned pages show it, one seeded function per kind.

Each step takes an 8-bit gray page (numpy, 0 ink .. 255 paper), its dpi and two seeded
generators, and returns a new page. `HEAVY` is the chain the benchmark and the dev-set
scanner use: grey table fills, white-on-dark label cells, photocopy shadow, moire, skew,
punch holes, noise, JPEG artefacts, and (on some pages) 200 dpi fax binarisation.
Same seeds give the same pixels.
"""
from __future__ import annotations

import io
import random
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image

Step = Callable[[np.ndarray, float, random.Random, np.random.Generator], np.ndarray]


def _text_bands(a: np.ndarray, min_h: int = 4) -> list[tuple[int, int]]:
    """Row ranges (top, bottom) that hold ink: the page's text lines."""
    ink = (a < 128).sum(axis=1) > max(2, a.shape[1] // 400)
    bands, start = [], None
    for y, on in enumerate(ink):
        if on and start is None:
            start = y
        elif not on and start is not None:
            if y - start >= min_h:
                bands.append((start, y))
            start = None
    if start is not None and len(ink) - start >= min_h:
        bands.append((start, len(ink)))
    return bands


def _ink_cols(a: np.ndarray, top: int, bottom: int) -> tuple[int, int] | None:
    cols = np.flatnonzero((a[top:bottom] < 128).any(axis=0))
    return (int(cols[0]), int(cols[-1])) if cols.size else None


def grey_fills(a: np.ndarray, dpi: float, r: random.Random, rng: np.random.Generator) -> np.ndarray:
    """Shade runs of text lines grey (table rows, section headers), ink stays dark."""
    out = a.astype(np.float32)
    bands = _text_bands(a)
    pad = int(dpi * 0.03)
    for i, (t, b) in enumerate(bands):
        if r.random() < 0.35 or (i % 2 == 0 and r.random() < 0.3):
            grey = r.uniform(150, 205)
            t0, b0 = max(0, t - pad), min(a.shape[0], b + pad)
            out[t0:b0] = out[t0:b0] * (grey / 255.0)
    return np.clip(out, 0, 255).astype(np.uint8)


def inverted_cells(a: np.ndarray, dpi: float, r: random.Random, rng: np.random.Generator) -> np.ndarray:
    """White-on-dark label cells: some lines' left part (the label) printed light on a dark fill."""
    out = a.copy()
    bands = _text_bands(a)
    if not bands:
        return out
    pad = int(dpi * 0.03)
    # the top of the page (patient header) is where renderers put dark label cells
    top = [bd for bd in bands if bd[0] < a.shape[0] * 0.4] or bands
    for t, b in r.sample(top, k=min(len(top), r.randint(2, 5))):
        span = _ink_cols(a, t, b)
        if span is None:
            continue
        x0 = max(0, span[0] - pad)
        x1 = min(a.shape[1], x0 + int((span[1] - span[0]) * r.uniform(0.3, 1.0)) + 2 * pad)
        t0, b0 = max(0, t - pad), min(a.shape[0], b + pad)
        fill = r.uniform(20, 90)
        cell = out[t0:b0, x0:x1].astype(np.float32) / 255.0
        # paper becomes the dark fill, ink becomes near-white
        out[t0:b0, x0:x1] = np.clip(fill + (245 - fill) * (1.0 - cell), 0, 255).astype(np.uint8)
    return out


def photocopy_shadow(a: np.ndarray, dpi: float, r: random.Random, rng: np.random.Generator) -> np.ndarray:
    """A dark gradient along one edge (book spine, lifted lid) and a thin black border."""
    h, w = a.shape
    out = a.astype(np.float32)
    depth = int(w * r.uniform(0.04, 0.12))
    ramp = np.linspace(r.uniform(0.25, 0.55), 1.0, depth, dtype=np.float32)
    side = r.choice(["left", "right", "top"])
    if side == "left":
        out[:, :depth] *= ramp[None, :]
    elif side == "right":
        out[:, w - depth:] *= ramp[::-1][None, :]
    else:
        out[:depth, :] *= ramp[:, None]
    edge = max(2, int(dpi * r.uniform(0.02, 0.06)))
    out[:, :edge] = np.minimum(out[:, :edge], r.uniform(10, 40))
    out[-edge:, :] = np.minimum(out[-edge:, :], r.uniform(10, 40))
    return np.clip(out, 0, 255).astype(np.uint8)


def moire(a: np.ndarray, dpi: float, r: random.Random, rng: np.random.Generator) -> np.ndarray:
    """An interference pattern, strongest on shaded areas (a halftone screen rescanned)."""
    h, w = a.shape
    period = r.uniform(3.0, 6.0)
    theta = r.uniform(0, np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    wave = np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) / period)
    wave *= np.sin(2 * np.pi * (xx * np.cos(theta + 0.05) + yy * np.sin(theta + 0.05)) / (period * 1.02))
    f = a.astype(np.float32)
    shade = np.clip((250 - f) / 100.0, 0.0, 1.0) * (f > 110)   # shaded paper, not ink, not white
    amp = r.uniform(25, 45)
    return np.clip(f + amp * wave * (0.3 + shade), 0, 255).astype(np.uint8)


def skew(a: np.ndarray, dpi: float, r: random.Random, rng: np.random.Generator) -> np.ndarray:
    """Rotate by up to 3.5 degrees, as a sheet fed crooked."""
    angle = r.choice([-1, 1]) * r.uniform(1.0, 3.5)
    img = Image.fromarray(a, mode="L").rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    return np.asarray(img, dtype=np.uint8).copy()


def punch_holes(a: np.ndarray, dpi: float, r: random.Random, rng: np.random.Generator) -> np.ndarray:
    """Two or three dark discs in the left (or top) margin, where a binder punched the sheet."""
    h, w = a.shape
    out = a.copy()
    rad = dpi * r.uniform(0.11, 0.14)
    n = r.choice([2, 3])
    left = r.random() < 0.75
    yy, xx = np.ogrid[0:h, 0:w]
    for k in range(n):
        if left:
            cx, cy = dpi * r.uniform(0.3, 0.45), h * (k + 1) / (n + 1)
        else:
            cx, cy = w * (k + 1) / (n + 1), dpi * r.uniform(0.3, 0.45)
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 <= rad ** 2
        out[disc] = int(r.uniform(5, 50))
    return out


def noise(a: np.ndarray, dpi: float, r: random.Random, rng: np.random.Generator) -> np.ndarray:
    """Gaussian sensor noise and salt-and-pepper specks (dust, toner)."""
    f = a.astype(np.float32) + rng.normal(0.0, r.uniform(6.0, 12.0), a.shape).astype(np.float32)
    specks = rng.random(a.shape)
    f[specks < 0.0015] = 0
    f[specks > 0.999] = 255
    return np.clip(f, 0, 255).astype(np.uint8)


def blur(a: np.ndarray, dpi: float, r: random.Random, rng: np.random.Generator) -> np.ndarray:
    from PIL import ImageFilter

    img = Image.fromarray(a, mode="L").filter(ImageFilter.GaussianBlur(r.uniform(0.4, 0.9)))
    return np.asarray(img, dtype=np.uint8).copy()


def jpeg_artefacts(a: np.ndarray, dpi: float, r: random.Random, rng: np.random.Generator) -> np.ndarray:
    """A low-quality JPEG round trip (blocking and ringing around letters)."""
    buf = io.BytesIO()
    Image.fromarray(a, mode="L").save(buf, format="JPEG", quality=r.randint(18, 35))
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("L"), dtype=np.uint8).copy()


def fax(a: np.ndarray, dpi: float, r: random.Random, rng: np.random.Generator) -> np.ndarray:
    """Fax-like: resampled to 200 x 100-200 dpi, hard 1-bit threshold, back to the page size."""
    h, w = a.shape
    fx = 200.0 / dpi
    fy = r.choice([100.0, 200.0]) / dpi
    small = Image.fromarray(a, mode="L").resize((max(1, int(w * fx)), max(1, int(h * fy))), Image.Resampling.BILINEAR)
    bw = small.point(lambda v: 255 if v > r.uniform(120, 160) else 0)
    return np.asarray(bw.resize((w, h), Image.Resampling.NEAREST), dtype=np.uint8).copy()


STEPS: dict[str, Step] = {
    "grey_fills": grey_fills,
    "inverted_cells": inverted_cells,
    "photocopy_shadow": photocopy_shadow,
    "moire": moire,
    "skew": skew,
    "punch_holes": punch_holes,
    "blur": blur,
    "noise": noise,
    "jpeg_artefacts": jpeg_artefacts,
    "fax": fax,
}

# (step, probability): the heavy chain; each page draws which steps it gets
HEAVY: tuple[tuple[str, float], ...] = (
    ("grey_fills", 0.9),
    ("inverted_cells", 0.8),
    ("moire", 0.5),
    ("photocopy_shadow", 0.5),
    ("skew", 0.7),
    ("punch_holes", 0.5),
    ("blur", 0.6),
    ("noise", 1.0),
    ("fax", 0.2),
    ("jpeg_artefacts", 0.6),
)


def damage(img: Image.Image, dpi: float, r: random.Random, rng: np.random.Generator,
           chain: Sequence[tuple[str, float]] = HEAVY) -> tuple[Image.Image, list[str]]:
    """Apply the chain to one gray page; returns the page and the names of the steps applied."""
    a = np.asarray(img.convert("L"), dtype=np.uint8).copy()
    applied = []
    for name, p in chain:
        if r.random() < p:
            a = STEPS[name](a, dpi, r, rng)
            applied.append(name)
    return Image.fromarray(a, mode="L"), applied
