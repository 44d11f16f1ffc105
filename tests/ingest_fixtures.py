"""Builders for ingest test documents (reportlab PDFs, rendered scans, bad inputs).

Everything is generated into a temporary folder at test time; nothing binary is committed.
"""
from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth
from reportlab.pdfgen import canvas

PAGE_W, PAGE_H = letter  # 612 x 792 points

LAB_LINES = [
    ("Helvetica-Bold", 16, "RIVERSIDE MEDICAL LABORATORY"),
    ("Helvetica", 11, "Patient Name: Maria Gonzalez"),
    ("Helvetica", 11, "Date of Birth: 03/14/1962"),
    ("Helvetica", 11, "MRN: 00482913"),
    ("Helvetica", 11, "Collected: 2024-02-11 08:42"),
    ("Helvetica", 11, "Ordering Physician: Dr. Alan Whitfield"),
    ("Helvetica-Bold", 11, "Test Result Units Reference"),
    ("Helvetica", 11, "Glucose 98 mg/dL 70-99"),
    ("Helvetica", 11, "Hemoglobin A1c 6.1 % 4.0-5.6"),
    ("Helvetica", 11, "Creatinine 0.92 mg/dL 0.57-1.00"),
    ("Helvetica", 11, "Sodium 139 mmol/L 134-144"),
    ("Helvetica", 11, "Potassium 4.4 mmol/L 3.5-5.2"),
    ("Helvetica", 11, "Cholesterol Total 212 mg/dL 100-199"),
    ("Helvetica", 11, "Comments: fasting specimen received in good condition"),
]


@dataclass(frozen=True)
class Placed:
    """A word as reportlab drew it, with its expected box in top-left points."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float


def draw_lines(c: canvas.Canvas, lines=LAB_LINES, x: float = 72, y0: float = 72, leading: float = 22, page_h: float = PAGE_H) -> list[Placed]:
    """Draw lines word by word; return each word's expected box (font ascent..descent)."""
    placed: list[Placed] = []
    for i, (font, size, text) in enumerate(lines):
        baseline_top = y0 + i * leading  # distance of the baseline from the page top
        c.setFont(font, size)
        asc, desc = getAscentDescent(font, size)
        cx = x
        for word in text.split(" "):
            w = stringWidth(word, font, size)
            c.drawString(cx, page_h - baseline_top, word)
            placed.append(Placed(word, cx, baseline_top - asc, cx + w, baseline_top - desc))
            cx += w + stringWidth(" ", font, size)
    return placed


def text_pdf(path: Path, pages: int = 1, lines=LAB_LINES) -> list[Placed]:
    c = canvas.Canvas(str(path), pagesize=letter)
    placed: list[Placed] = []
    for _ in range(pages):
        placed = draw_lines(c, lines)
        c.showPage()
    c.save()
    return placed


def render_pdf(path: Path, dpi: int = 300, page: int = 0) -> Image.Image:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return pdf[page].render(scale=dpi / 72, grayscale=True).to_pil().copy()
    finally:
        pdf.close()


def add_noise(img: Image.Image, seed: int = 7, sigma: float = 18.0, speckle: float = 0.002, angle: float = 0.4) -> Image.Image:
    """Make a clean render look scanned: slight rotation, gaussian noise, salt-and-pepper."""
    rng = np.random.default_rng(seed)
    img = img.convert("L").rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    a = np.asarray(img, dtype=np.float32)
    a = a + rng.normal(0, sigma, a.shape)
    mask = rng.random(a.shape)
    a[mask < speckle / 2] = 0
    a[mask > 1 - speckle / 2] = 255
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")


def scanned_image(tmp: Path, dpi: int = 300, seed: int = 7, lines=LAB_LINES) -> Image.Image:
    src = tmp / f"_scan_src_{seed}.pdf"
    text_pdf(src, lines=lines)
    return add_noise(render_pdf(src, dpi), seed=seed)


def image_pdf(path: Path, images: list[Image.Image], dpi: int = 300) -> None:
    """An image-only PDF (no text layer), one page per image, like a scanner makes."""
    first, rest = images[0], images[1:]
    first.save(path, format="PDF", resolution=float(dpi), save_all=True, append_images=rest)


def junk_layer_pdf(path: Path, img: Image.Image, dpi: int = 300, seed: int = 3) -> None:
    """A scan with an invisible, garbage OCR layer over the full-page image."""
    png = path.with_suffix(".bg.png")
    img.save(png, dpi=(dpi, dpi))
    c = canvas.Canvas(str(path), pagesize=letter)
    c.drawImage(str(png), 0, 0, width=PAGE_W, height=PAGE_H)
    rng = random.Random(seed)
    alphabet = "~#%&*^|\\}{][@$;:<>?/" + "qxzjkvw" + "ÞßÆ¤§"
    t = c.beginText()
    t.setTextRenderMode(3)
    t.setFont("Helvetica", 10)
    for row in range(40):
        t.setTextOrigin(40, PAGE_H - 60 - row * 17)
        t.textLine(" ".join("".join(rng.choice(alphabet) for _ in range(rng.randint(3, 9))) for _ in range(9)))
    c.drawText(t)
    c.showPage()
    c.save()
    png.unlink()


def invisible_good_layer_pdf(path: Path, img: Image.Image) -> None:
    """A scan with an invisible but sensible text layer (what OCR software writes)."""
    png = path.with_suffix(".bg.png")
    img.save(png)
    c = canvas.Canvas(str(path), pagesize=letter)
    c.drawImage(str(png), 0, 0, width=PAGE_W, height=PAGE_H)
    t = c.beginText()
    t.setTextRenderMode(3)
    t.setFont("Helvetica", 11)
    t.setTextOrigin(72, PAGE_H - 72)
    for _, _, line in LAB_LINES:
        t.textLine(line)
    c.drawText(t)
    c.showPage()
    c.save()
    png.unlink()


def multipage_tiff(path: Path, images: list[Image.Image], dpi: int = 300) -> None:
    images[0].save(path, format="TIFF", save_all=True, append_images=images[1:], dpi=(dpi, dpi), compression="tiff_deflate")


def encrypted_pdf(path: Path) -> None:
    c = canvas.Canvas(str(path), pagesize=letter, encrypt="pw")
    draw_lines(c)
    c.showPage()
    c.save()


def many_pages_pdf(path: Path, pages: int) -> None:
    c = canvas.Canvas(str(path), pagesize=letter)
    c.setFont("Helvetica", 11)
    for i in range(pages):
        c.drawString(72, 720, f"page {i + 1}")
        c.showPage()
    c.save()


def blank_pdf(path: Path, pages: int = 2) -> None:
    c = canvas.Canvas(str(path), pagesize=letter)
    for _ in range(pages):
        c.showPage()
    c.save()


def bomb_png(path: Path, width: int = 40000, height: int = 40000) -> None:
    """A tiny PNG whose header claims a huge canvas (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grayscale
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(64)) + comp.flush()  # deliberately short
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def words_of(lines=LAB_LINES) -> list[str]:
    return [w for _, _, text in lines for w in text.split(" ")]


def word_accuracy(expected: list[str], got: list[str]) -> float:
    """Share of expected words recovered, in order (LCS over words, case-sensitive)."""
    if not expected:
        return 1.0
    prev = [0] * (len(got) + 1)
    for e in expected:
        cur = [0]
        for j, g in enumerate(got):
            cur.append(prev[j] + 1 if e == g else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1] / len(expected)


def die_on_open(name: str) -> None:
    """Worker-pool initializer for crash tests: the worker that opens a file called `name` dies
    at once (`os._exit`), as a worker does on a pdfium segfault or an OOM kill, which cannot be
    provoked on demand. It lives here, in the tests, and reaches production code only through
    `ingest_many(initializer=...)`; it hooks the interpreter's own `open` audit event."""
    import os
    import sys

    def hook(event: str, args: tuple) -> None:
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            if os.path.basename(os.fsdecode(args[0])) == name:
                os._exit(70)

    sys.addaudithook(hook)
