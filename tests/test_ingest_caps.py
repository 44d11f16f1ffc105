"""Ingest's hard caps against hostile inputs: each one is ingested in a fresh process (like a
batch worker) whose peak RSS is measured; none may exceed 1.5 GB, and the over-cap ones are
quarantined `too_large` before anything is rendered. Plus: blank pages skip Tesseract, and a
ZIP holding a PDF is not read as a PDF.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from pipeline.errors import IngestError
from pipeline.ingest import ingest

REPO = Path(__file__).resolve().parent.parent
MAX_RSS_MB = 1536

_PROBE = r"""
import json, resource, sys
from pipeline.errors import IngestError
from pipeline.ingest import ingest
try:
    doc = ingest(sys.argv[1], cache_dir=None)
    out = {"status": "ok", "pages": len(doc.pages), "words": sum(len(p.words) for p in doc.pages)}
except IngestError as e:
    out = {"status": e.kind, "reason": e.reason}
out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def _pdf(objects: list[bytes]) -> bytes:
    """A minimal PDF with a correct xref table from numbered object bodies."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def huge_page_pdf() -> bytes:
    """A few hundred bytes declaring a 100000 x 100000 pt page with no text layer."""
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100000 100000] >>"])


def flate_bomb_pdf() -> bytes:
    """About 1 MB: a content stream that inflates to about 1 GB."""
    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = b"".join(comp.compress(chunk) for _ in range(1024)) + comp.flush()
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
                 stream])


def huge_image_pdf() -> bytes:
    """A letter page drawing a 12000 x 12000 JPEG (144 Mpx declared, a few bytes of data)."""
    img = b"<< /Type /XObject /Subtype /Image /Width 12000 /Height 12000 /ColorSpace /DeviceGray " \
          b"/BitsPerComponent 8 /Filter /DCTDecode /Length 4 >>\nstream\n\xff\xd8\xff\xd9\nendstream"
    content = b"q 612 0 0 792 0 0 cm /Im0 Do Q"
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                 b"/Resources << /XObject << /Im0 5 0 R >> >> >>",
                 b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
                 img])


def test_huge_embedded_image_is_too_large(tmp_path):
    path = tmp_path / "huge_image.pdf"
    path.write_bytes(huge_image_pdf())
    with pytest.raises(IngestError) as e:
        ingest(path, cache_dir=None)
    assert e.value.kind == "too_large" and "image of 144000000 pixels" in e.value.reason, e.value.reason


def big_png(path: Path) -> None:
    """81 Mpx (under the per-image cap) with a line of text, so Tesseract really reads it."""
    from PIL import ImageDraw, ImageFont

    img = Image.new("RGB", (9000, 9000), "white")
    ImageDraw.Draw(img).text((400, 400), "Patient Name: Ann Lee", fill="black",
                             font=ImageFont.load_default(size=120))
    img.save(path, optimize=False)


def _probe(path: Path) -> dict:
    r = subprocess.run([sys.executable, "-c", _PROBE, str(path)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ["huge_page.pdf", "flate_bomb.pdf", "big_9000.png"])
def test_bombs_bounded_memory(tmp_path, name):
    path = tmp_path / name
    if name == "huge_page.pdf":
        path.write_bytes(huge_page_pdf())
    elif name == "flate_bomb.pdf":
        path.write_bytes(flate_bomb_pdf())
    else:
        big_png(path)
    res = _probe(path)
    print(f"\n{name}: {path.stat().st_size} bytes -> {res}")
    assert res["maxrss_mb"] <= MAX_RSS_MB, res
    if name != "big_9000.png":
        assert res["status"] == "too_large", res
    else:  # under the per-image cap: read and OCR'd
        assert res["status"] == "ok" and res["words"] >= 3, res


def test_huge_page_is_small_file():
    assert len(huge_page_pdf()) < 600


def test_blank_pages_skip_tesseract(tmp_path):
    """Blank scanned pages are detected on the pixels: Tesseract is never called for them."""
    from pipeline.ingest import ocr as _ocr

    before = _ocr.OCR_CALLS  # counts Tesseract runs (pages are read in this process here)
    from PIL import ImageDraw, ImageFont

    frames = [Image.new("L", (1275, 1650), 255) for _ in range(5)]
    for f in frames[1:3]:  # scanner specks do not make a page "not blank"
        for x in range(0, 1200, 97):
            f.putpixel((x, (x * 7) % 1600), 0)
    ImageDraw.Draw(frames[4]).text((100, 100), "Patient Name: Ann Lee", fill=0, font=ImageFont.load_default(size=40))
    path = tmp_path / "blank.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(150, 150))
    doc = ingest(path, cache_dir=None)
    assert len(doc.pages) == 5 and all(not p.words for p in doc.pages[:4]) and doc.pages[4].words
    assert _ocr.OCR_CALLS - before == 1  # only the page with text reached Tesseract


def test_blank_check_keeps_a_page_with_one_word():
    from PIL import ImageDraw, ImageFont

    import numpy as np

    from pipeline.ingest.preprocess import is_blank

    img = Image.new("L", (1275, 1650), 255)  # a letter page at 150 dpi
    ImageDraw.Draw(img).text((600, 800), "Page 2", fill=0, font=ImageFont.load_default(size=24))
    assert not is_blank(np.asarray(img), 150)
    assert is_blank(np.asarray(Image.new("L", (1275, 1650), 250)), 150)


def test_zip_holding_a_pdf_is_not_a_pdf(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("a.pdf", huge_page_pdf())
    path = tmp_path / "report.pdf"
    path.write_bytes(buf.getvalue())
    assert b"%PDF-" in path.read_bytes()[:1024]
    with pytest.raises(IngestError) as e:
        ingest(path, cache_dir=None)
    assert e.value.kind == "unsupported" and "ZIP" in e.value.reason


def test_inflate_count_stops_at_the_end_of_a_stream(tmp_path):
    """A flate stream inflating past one read chunk, followed by more of the file than one chunk
    (a Chromium-printed page's content stream looks like this). zlib keeps the bytes after the
    stream's end as `unconsumed_tail`; the count once looped on them for ever. Run in a child
    with a generous bound so that a regression fails instead of hanging the suite."""
    body = b"".join(b"BT /F1 9 Tf 72 %d Td (line %d of a long page) Tj ET\n" % (i % 700, i) for i in range(4000))
    pdf = (b"%PDF-1.4\n1 0 obj <</Filter /FlateDecode /Length 0>> stream\n" + zlib.compress(body)
           + b"\nendstream endobj\n" + b"2 0 obj <</Length 0>> stream\n" + bytes(range(256)) * 600 + b"\nendstream\n%%EOF\n")
    path = tmp_path / "long_stream.pdf"
    path.write_bytes(pdf)
    code = ("import sys; from pipeline.ingest.caps import _STREAM, _inflated; d = open(sys.argv[1], 'rb').read(); "
            "print(_inflated(d, next(_STREAM.finditer(d)).end(), 1 << 30))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300, check=True)
    assert int(out.stdout) == len(body)
