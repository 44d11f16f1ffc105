"""Turn a rendered PDF into a "scan": raster, skew, blur, noise, then an image container."""
from __future__ import annotations

import io
import random

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

SCAN_FORMATS = ("pdf", "pdf_junk", "png", "jpg", "tiff")
EXT = {"pdf": "pdf", "pdf_junk": "pdf", "png": "png", "jpg": "jpg", "tiff": "tif"}
JUNK_CHARS = "ÃÂ©®¤¦§¨ª«¬¯°±²³µ¶·¸¹º»¼½¾¿ÐÑ×ØÞßæçðñ÷øþÿ~^`|\\{}[]<>#%&@$*_=+;:!?'\"lI1O0"


def rasterize(pdf: bytes, dpi: int) -> list[tuple[Image.Image, float, float]]:
    """Each page as an 8-bit gray image, with the page size in points."""
    doc = pdfium.PdfDocument(pdf)
    out = []
    try:
        for i in range(len(doc)):
            page = doc[i]
            w, h = page.get_size()
            img = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            out.append((img, w, h))
            page.close()
    finally:
        doc.close()
    return out


def degrade(img: Image.Image, r: random.Random, rng: np.random.Generator) -> Image.Image:
    """Small skew (within 1.5 degrees), slight blur, paper tone and gaussian noise."""
    angle = r.uniform(-1.5, 1.5)
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(r.uniform(0.5, 1.0)))
    a = np.asarray(img, dtype=np.float32)
    paper = r.uniform(236, 250)
    ink = r.uniform(10, 40)
    a = ink + (paper - ink) * (a / 255.0)
    a += rng.normal(0.0, r.uniform(4.0, 8.0), a.shape).astype(np.float32)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), mode="L")


def _jpeg(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, optimize=True)
    return buf.getvalue()


def junk_line(r: random.Random) -> str:
    words = []
    for _ in range(r.randint(4, 12)):
        words.append("".join(r.choice(JUNK_CHARS) for _ in range(r.randint(2, 9))))
    return " ".join(words)


def image_pdf(pages: list[tuple[Image.Image, float, float]], r: random.Random, junk: bool, quality: int) -> bytes:
    """An image-only PDF (JPEG pages); with `junk`, an invisible garbage text layer on top."""
    buf = io.BytesIO()
    c = Canvas(buf, invariant=1, pageCompression=1)
    c.setTitle("")
    c.setAuthor("")
    c.setCreator("")
    c.setProducer("")
    for img, w, h in pages:
        c.setPageSize((w, h))
        c.drawImage(ImageReader(io.BytesIO(_jpeg(img, quality))), 0, 0, width=w, height=h)
        if junk:
            t = c.beginText()
            t.setTextRenderMode(3)  # invisible, as a bad OCR layer usually is
            t.setFont("Helvetica", 9)
            y = h - 60
            while y > 50:
                t.setTextOrigin(r.uniform(40, 90), y)
                t.textLine(junk_line(r))
                y -= r.uniform(11, 30)
            c.drawText(t)
        c.showPage()
    c.save()
    return buf.getvalue()


def to_scan(pdf: bytes, fmt: str, r: random.Random, rng: np.random.Generator,
            damage: str = "light") -> tuple[bytes, str]:
    """Scan `pdf` into `fmt` (one of SCAN_FORMATS); returns (bytes, file extension).

    `damage`: "light" (slight skew, blur, noise) or "heavy" (the damage.HEAVY chain:
    grey fills, inverted cells, moire, shadows, punch holes, fax, JPEG artefacts)."""
    dpi = r.choice([200, 200, 240, 300])
    if damage == "heavy":
        from .damage import damage as _damage

        pages = [(_damage(img, dpi, r, rng)[0], w, h) for img, w, h in rasterize(pdf, dpi)]
    elif damage == "light":
        pages = [(degrade(img, r, rng), w, h) for img, w, h in rasterize(pdf, dpi)]
    else:
        raise ValueError(f"unknown damage {damage!r}")
    if fmt in ("png", "jpg") and len(pages) > 1:
        fmt = "tiff"   # single-image formats cannot hold several pages
    quality = r.choice([45, 55, 65])
    if fmt in ("pdf", "pdf_junk"):
        return image_pdf(pages, r, junk=fmt == "pdf_junk", quality=quality), "pdf"
    buf = io.BytesIO()
    imgs = [p[0] for p in pages]
    if fmt == "png":
        # 16 gray levels, still 8-bit gray: keeps files small, like many scanner presets
        q = imgs[0].point(lambda v: (v // 16) * 17)
        q.save(buf, format="PNG", optimize=True, dpi=(dpi, dpi))
    elif fmt == "jpg":
        imgs[0].save(buf, format="JPEG", quality=quality, optimize=True, dpi=(dpi, dpi))
    elif fmt == "tiff":
        # bilevel CCITT G4, as fax servers and document scanners produce
        bw = [im.point(lambda v: 255 if v > 150 else 0).convert("1") for im in imgs]
        bw[0].save(buf, format="TIFF", compression="group4", save_all=True, append_images=bw[1:], dpi=(dpi, dpi))
    else:
        raise ValueError(fmt)
    return buf.getvalue(), EXT[fmt]
