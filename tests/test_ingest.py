"""Ingest against real pdfium, Pillow and Tesseract: fixtures are generated with reportlab."""
from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import ingest_fixtures as F  # noqa: E402

from pipeline.document import Document  # noqa: E402
from pipeline.errors import IngestError  # noqa: E402
from pipeline.ingest import Limits, ingest, ingest_command, ingest_many, iter_inputs, ocr_calls  # noqa: E402
from pipeline.ingest import ocr as ocr_mod  # noqa: E402

OCR_MIN_ACCURACY = 0.90


# --- shared fixtures (module scope: OCR is the slow part) ---------------------------------


@pytest.fixture(scope="module")
def d(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ingest")


@pytest.fixture(scope="module")
def scan(d):
    """A noisy 300-dpi render of the lab page, as a PIL image."""
    return F.scanned_image(d, dpi=300, seed=7)


@pytest.fixture(scope="module")
def scan_png(d, scan) -> Path:
    p = d / "scan.png"
    scan.save(p, dpi=(300, 300))
    return p


@pytest.fixture(scope="module")
def scan_pdf(d, scan) -> Path:
    p = d / "scan.pdf"
    F.image_pdf(p, [scan])
    return p


def _accuracy(doc: Document, lines=F.LAB_LINES) -> float:
    return F.word_accuracy(F.words_of(lines), [w.text for p in doc.pages for w in p.words])


# --- text layer ---------------------------------------------------------------------------


def test_text_pdf_words_at_reportlab_positions(d):
    p = d / "text.pdf"
    placed = F.text_pdf(p)
    doc = ingest(p, cache_dir=None)
    assert len(doc.pages) == 1
    page = doc.pages[0]
    assert page.source == "text-layer"
    assert (page.width, page.height) == (612.0, 792.0)
    assert [w.text for w in page.words] == [w.text for w in placed]
    for got, exp in zip(page.words, placed):
        assert got.conf == 1.0
        assert abs(got.x0 - exp.x0) <= 1.0, (got, exp)
        assert abs(got.x1 - exp.x1) <= 1.0, (got, exp)
        assert abs(got.top - exp.top) <= 1.0, (got, exp)
        assert abs(got.bottom - exp.bottom) <= 1.0, (got, exp)
    assert page.lines[1].text == "Patient Name: Maria Gonzalez"
    assert len(page.lines) == len(F.LAB_LINES)
    assert doc.meta["pages_text_layer"] == 1 and doc.meta["pages_ocr"] == 0
    assert len(doc.sha256) == 64


def test_upright_fast_path_matches_generic_path(d):
    """Unrotated pages take an inlined loop; it must give exactly the generic loop's words."""
    import pypdfium2 as pdfium
    from pipeline.ingest import pdftext

    p = d / "fastpath.pdf"
    F.text_pdf(p)
    page = pdfium.PdfDocument(str(p))[0]
    fast = pdftext.extract_page(page).words
    try:
        pdftext._FAST = False
        generic = pdftext.extract_page(page).words
    finally:
        pdftext._FAST = True
    assert fast == generic and len(fast) == len(F.words_of())


def test_text_layer_large_gap_splits_words(d):
    """Glyphs placed far apart inside one string operator become separate words."""
    from reportlab.pdfgen import canvas

    p = d / "gaps.pdf"
    c = canvas.Canvas(str(p))
    c.setFont("Helvetica", 11)
    t = c.beginText(72, 700)
    t.setCharSpace(0)
    t.textOut("Glucose")
    t.moveCursor(120, 0)  # a table-column gap with no space character
    t.textOut("98")
    c.drawText(t)
    c.showPage()
    c.save()
    words = [w.text for w in ingest(p, cache_dir=None).pages[0].words]
    assert words == ["Glucose", "98"]


def test_glyphs_printed_twice_are_read_once_on_a_real_vendor_page():
    """A vendor PDF imitates bold type by drawing each heading twice 0.6 pt apart; pdfium
    interleaves the copies (`HHeeaalltthh`). Ingest reads each glyph once."""
    fix = Path(__file__).parent / "fixtures" / "ccda" / "medfusion_newman.pdf"
    doc = ingest(fix, cache_dir=None)
    page1 = [line.text for line in doc.pages[0].lines]
    assert "Health Overview" in page1 and "Basic Information About You" in page1
    assert "Medication Directions Start Date End Date" in page1
    assert "Alice Newman May 1, 1970 1357 Amber Dr Beaverton OR" in page1  # regular type untouched
    words = [w.text for p in doc.pages for w in p.words]
    assert not [t for t in words if len(t) >= 4 and t[0::2] == t[1::2]]


def test_glyphs_drawn_twice_read_once_but_repeated_words_elsewhere_stay(d):
    """The same text drawn twice a fraction of a point apart is one word (pdfium itself drops
    an exact copy, not one whose type size differs by rounding noise or whose string runs on);
    the same text printed again elsewhere, or a word with real double letters, stays."""
    from reportlab.pdfgen import canvas

    p = d / "drawn_twice.pdf"
    c = canvas.Canvas(str(p))
    c.setFont("Helvetica", 11)
    c.drawString(72, 700, "Patient Name")
    c.setFont("Helvetica", 11.0001)  # the copy's size, as a report writer's float noise
    c.drawString(72.3, 700.6, "Patient Name")
    c.setFont("Helvetica", 11)
    c.drawString(72, 680, "Birth Date")
    c.drawString(72.3, 680.6, "Birth Date ")
    c.drawString(72, 660, "Patient Name")  # the same words printed again, lower
    c.drawString(72, 640, "Committee Moore 1100")
    c.showPage()
    c.save()
    lines = [line.text for line in ingest(p, cache_dir=None).pages[0].lines]
    assert lines == ["Patient Name", "Birth Date", "Patient Name", "Committee Moore 1100"]


def test_filled_form_fields_are_text(d):
    """Values typed into AcroForm fields are part of the page's text, not lost."""
    from reportlab.pdfgen import canvas

    p = d / "form.pdf"
    c = canvas.Canvas(str(p))
    c.setFont("Helvetica", 11)
    c.drawString(72, 700, "Patient Name:")
    c.acroForm.textfield(name="pname", value="Maria Gonzalez", x=160, y=690, width=200, height=20,
                         borderWidth=0, fontName="Helvetica", fontSize=11)
    c.showPage()
    c.save()
    page = ingest(p, cache_dir=None).pages[0]
    assert page.source == "text-layer"
    assert [line.text for line in page.lines] == ["Patient Name: Maria Gonzalez"]


def test_owner_password_only_pdf_is_readable(d):
    """Permissions-only encryption (empty user password) opens without a password."""
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    p = d / "owner_only.pdf"
    c = canvas.Canvas(str(p), encrypt=StandardEncryption("", ownerPassword="owner", canPrint=1))
    F.draw_lines(c)
    c.showPage()
    c.save()
    assert ingest(p, cache_dir=None).pages[0].source == "text-layer"


def test_rotated_page_boxes_land_on_ink(d):
    """A /Rotate 90 page: boxes are in the displayed frame, where the rendered glyphs are."""
    import pypdfium2 as pdfium
    from reportlab.pdfgen import canvas

    p = d / "rotated.pdf"
    # Portrait media shown turned 90 degrees clockwise (a landscape page); the content is
    # drawn turned the other way, so it reads upright on screen, as real rotated pages do.
    c = canvas.Canvas(str(p), pagesize=(792, 612))  # reportlab swaps the media box for /Rotate 90
    c.setPageRotation(90)
    c.transform(0, 1, -1, 0, 612, 0)  # draw in the displayed frame (792 wide, 612 tall)
    F.draw_lines(c, F.LAB_LINES[:4], page_h=612)
    c.showPage()
    c.save()
    doc = ingest(p, cache_dir=None)
    page = doc.pages[0]
    assert page.source == "text-layer"
    pg = pdfium.PdfDocument(str(p))[0]
    assert pg.get_rotation() == 90
    img = np.asarray(pg.render(scale=2, grayscale=True).to_pil())
    assert img.shape == (round(page.height * 2), round(page.width * 2))  # the displayed frame
    assert len(page.lines) == 4
    for w in page.words:
        crop = img[int(w.top * 2): int(w.bottom * 2) + 1, int(w.x0 * 2): int(w.x1 * 2) + 1]
        assert crop.size and crop.min() < 128, w  # ink inside the box


def test_blank_pdf_is_empty(d):
    p = d / "blank.pdf"
    F.blank_pdf(p, pages=2)
    with pytest.raises(IngestError) as e:
        ingest(p, cache_dir=None)
    assert e.value.kind == "empty"


# --- OCR ------------------------------------------------------------------------------------


def test_scanned_png_ocr_accuracy_and_boxes(scan_png, d):
    doc = ingest(scan_png, cache_dir=None)
    page = doc.pages[0]
    assert page.source == "ocr"
    assert abs(page.width - 612) < 1 and abs(page.height - 792) < 1
    acc = _accuracy(doc)
    print(f"\nOCR word accuracy, noisy 300-dpi PNG: {acc:.3f}")
    assert acc >= OCR_MIN_ACCURACY
    assert all(0.0 <= w.conf <= 1.0 for w in page.words)
    assert sum(w.conf for w in page.words) / len(page.words) > 0.8
    # Boxes are in points: the OCR box of a word lies near where reportlab drew it.
    placed = {w.text: w for w in F.text_pdf(d / "_ref.pdf")}
    near = 0
    for w in page.words:
        exp = placed.get(w.text)
        if exp and abs(w.x0 - exp.x0) < 4 and abs((w.top + w.bottom) / 2 - (exp.top + exp.bottom) / 2) < 4:
            near += 1
    assert near >= 0.8 * len(placed)


def test_image_only_pdf_is_ocrd(scan_pdf):
    doc = ingest(scan_pdf, cache_dir=None)
    page = doc.pages[0]
    assert page.source == "ocr"
    assert doc.meta["ocr_reasons"] == {1: "no text layer"}
    assert abs(page.width - 612) < 1 and abs(page.height - 792) < 1
    acc = _accuracy(doc)
    print(f"\nOCR word accuracy, image-only PDF: {acc:.3f}")
    assert acc >= OCR_MIN_ACCURACY


def test_junk_invisible_layer_is_replaced_by_ocr(d, scan):
    p = d / "junk.pdf"
    F.junk_layer_pdf(p, scan)
    doc = ingest(p, cache_dir=None)
    assert doc.pages[0].source == "ocr"
    assert _accuracy(doc) >= OCR_MIN_ACCURACY


def test_junk_visible_layer_is_replaced_by_ocr(d, scan):
    """A visible layer of garbage (broken font encoding) is judged by its words alone."""
    from pipeline.ingest.pdftext import extract_page, needs_ocr
    import pypdfium2 as pdfium
    from reportlab.pdfgen import canvas
    import random

    p = d / "junk_visible.pdf"
    rng = random.Random(5)
    c = canvas.Canvas(str(p))
    c.setFont("Helvetica", 10)
    for row in range(30):
        c.drawString(40, 760 - row * 20, " ".join("".join(rng.choice("#%&*^|}{][@$;<>?~") for _ in range(6)) for _ in range(8)))
    c.showPage()
    c.save()
    page = pdfium.PdfDocument(str(p))[0]
    assert needs_ocr(extract_page(page), page) == "text layer looks like junk"


def test_text_quality_accepts_medical_text():
    from pipeline.ingest import text_quality
    from pipeline.document import Word

    def ws(s):
        return [Word(t, 0, 0, 1, 1) for t in s.split()]

    assert text_quality(ws("Hemoglobin A1c 6.1 % 4.0-5.6 mg/dL HbA1c WBC 7.2 x10^3/uL Dx: E11.9 BP 120/80 mmHg Rx")) > 0.8
    assert text_quality(ws("q#x@ %%^& zkq; }{[] ~~## @@!! xzqv; kjhg##")) < 0.5


def test_mixed_pdf_decides_per_page(d, scan):
    """A text page followed by a scanned page: each page takes its own route."""
    from reportlab.pdfgen import canvas

    png = d / "_mixed_bg.png"
    scan.save(png)
    p = d / "mixed.pdf"
    c = canvas.Canvas(str(p), pagesize=(F.PAGE_W, F.PAGE_H))
    F.draw_lines(c)
    c.showPage()
    c.drawImage(str(png), 0, 0, width=F.PAGE_W, height=F.PAGE_H)
    c.showPage()
    c.save()
    doc = ingest(p, cache_dir=None)
    assert [pg.source for pg in doc.pages] == ["text-layer", "ocr"]
    assert doc.meta["ocr_reasons"] == {2: "no text layer"}
    assert F.word_accuracy(F.words_of(), [w.text for w in doc.pages[1].words]) >= OCR_MIN_ACCURACY


def test_jpeg_scan(d, scan):
    p = d / "scan.jpg"
    scan.save(p, format="JPEG", quality=60, dpi=(300, 300))
    doc = ingest(p, cache_dir=None)
    assert doc.meta["format"] == "jpeg" and doc.pages[0].source == "ocr"
    assert _accuracy(doc) >= OCR_MIN_ACCURACY


def test_multipage_tiff(d, scan):
    other = [("Helvetica", 12, "DISCHARGE SUMMARY"), ("Helvetica", 11, "Admitted: 2023-11-02 Discharged: 2023-11-06"),
             ("Helvetica", 11, "Diagnosis: community acquired pneumonia")]
    second = F.scanned_image(d, dpi=300, seed=11, lines=other)
    p = d / "two.tif"
    F.multipage_tiff(p, [scan, second])
    doc = ingest(p, cache_dir=None)
    assert [pg.number for pg in doc.pages] == [1, 2]
    assert all(pg.source == "ocr" for pg in doc.pages)
    assert F.word_accuracy(F.words_of(), [w.text for w in doc.pages[0].words]) >= OCR_MIN_ACCURACY
    assert F.word_accuracy(F.words_of(other), [w.text for w in doc.pages[1].words]) >= OCR_MIN_ACCURACY
    assert doc.meta["format"] == "tiff"


def test_image_dpi_metadata_sets_point_size(d):
    """A 150-dpi image of a letter page is 1275x1650 px = 612x792 points."""
    F.text_pdf(d / "_150.pdf")
    img = F.add_noise(F.render_pdf(d / "_150.pdf", dpi=150), sigma=5, speckle=0, angle=0)
    p = d / "dpi150.png"
    img.save(p, dpi=(150, 150))
    page = ingest(p, cache_dir=None).pages[0]
    assert abs(page.width - 612) < 1 and abs(page.height - 792) < 1
    # and without metadata 300 dpi is assumed
    p2 = d / "nodpi.png"
    img.save(p2)
    page2 = ingest(p2, cache_dir=None).pages[0]
    assert abs(page2.width - 306) < 1


def test_wrong_extension_read_by_content(d, scan_png):
    p = d / "text_named.png"
    F.text_pdf(p)
    assert ingest(p, cache_dir=None).pages[0].source == "text-layer"
    q = d / "png_named.pdf"
    q.write_bytes(scan_png.read_bytes())
    doc = ingest(q, cache_dir=None)
    assert doc.meta["format"] == "png" and doc.pages[0].source == "ocr"


def test_tesseract_runs_single_threaded_without_touching_our_env(scan_png):
    import subprocess
    import pytesseract.pytesseract as impl

    before = os.environ.get("OMP_THREAD_LIMIT")
    ingest(scan_png, cache_dir=None)
    assert os.environ.get("OMP_THREAD_LIMIT") == before
    # pytesseract hands this mapping to its tesseract subprocess as the environment
    out = subprocess.run(["sh", "-c", "echo $OMP_THREAD_LIMIT"], env=impl.environ, capture_output=True, text=True).stdout
    assert out.strip() == "1"


# --- OCR cache ------------------------------------------------------------------------------


def test_ocr_cache_hit_skips_tesseract(d, scan_pdf):
    cache = d / "cache"
    before = ocr_calls()
    first = ingest(scan_pdf, cache_dir=cache)
    assert ocr_calls() == before + 1
    files = list(cache.rglob("*.json"))
    assert len(files) == 1 and first.sha256 in files[0].name
    assert not list(cache.rglob(".tmp-*"))  # atomic write left no temp file
    second = ingest(scan_pdf, cache_dir=cache)
    assert ocr_calls() == before + 1  # no new Tesseract run
    assert second.meta["ocr_cache_hits"] == 1
    assert second.pages == first.pages
    # A different dpi is a different key: OCR runs again.
    ingest(scan_pdf, cache_dir=cache, dpi=200)
    assert ocr_calls() == before + 2
    # cache_dir=None disables the cache.
    ingest(scan_pdf, cache_dir=None)
    assert ocr_calls() == before + 3


def test_corrupt_cache_entry_is_recomputed(d, scan_png):
    cache = d / "cache_bad"
    ingest(scan_png, cache_dir=cache)
    [entry] = list(cache.rglob("*.json"))
    entry.write_text("{not json")
    before = ocr_calls()
    doc = ingest(scan_png, cache_dir=cache)
    assert ocr_calls() == before + 1 and doc.pages[0].words


def test_default_cache_dir_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCC_CACHE_DIR", str(tmp_path))
    assert ocr_mod.default_cache_dir() == tmp_path / "ocr"


# --- bad input --------------------------------------------------------------------------------


def _kind(path, **kw) -> str:
    with pytest.raises(IngestError) as e:
        ingest(path, cache_dir=None, **kw)
    assert e.value.reason  # always a human-readable reason
    return e.value.kind


def test_zero_byte_is_empty(d):
    p = d / "zero.pdf"
    p.write_bytes(b"")
    assert _kind(p) == "empty"


def test_corrupt_pdf(d):
    p = d / "corrupt.pdf"
    p.write_bytes(b"%PDF-1.7\n" + os.urandom(4000) + b"\n%%EOF\n")
    assert _kind(p) == "corrupt"


def test_truncated_pdf(d):
    src = d / "full.pdf"
    F.text_pdf(src, pages=3)
    data = src.read_bytes()
    p = d / "truncated.pdf"
    p.write_bytes(data[: len(data) // 2])
    assert _kind(p) == "corrupt"


def test_truncated_and_garbled_images(d, scan_png):
    data = scan_png.read_bytes()
    p = d / "truncated.png"
    p.write_bytes(data[: len(data) // 3])
    assert _kind(p) == "corrupt"
    j = d / "garbled.jpg"
    j.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(3000))
    assert _kind(j) == "corrupt"
    t = d / "garbled.tif"
    t.write_bytes(b"II*\x00" + os.urandom(3000))
    assert _kind(t) == "corrupt"


def test_encrypted_pdf(d):
    p = d / "locked.pdf"
    F.encrypted_pdf(p)
    assert _kind(p) == "encrypted"


def test_unsupported(d):
    p = d / "notes.pdf"  # the extension lies; the bytes decide
    p.write_text("Patient called about refill.\n")
    assert _kind(p) == "unsupported"
    g = d / "anim.gif"
    g.write_bytes(b"GIF89a" + b"\x00" * 100)
    with pytest.raises(IngestError) as e:
        ingest(g, cache_dir=None)
    assert e.value.kind == "unsupported" and "GIF" in e.value.reason


def test_decompression_bomb(d):
    p = d / "bomb.png"
    F.bomb_png(p)
    assert p.stat().st_size < 100_000
    assert _kind(p) == "too_large"


def test_too_many_pages(d):
    p = d / "long.pdf"
    F.many_pages_pdf(p, 301)
    assert _kind(p) == "too_large"
    assert len(ingest(p, cache_dir=None, limits=Limits(max_pages=400)).pages) == 301


def test_file_size_limit(d):
    p = d / "big.pdf"
    F.text_pdf(p)
    assert _kind(p, limits=Limits(max_file_bytes=100)) == "too_large"


def test_unreadable_directory_symlink_loop_missing(d):
    # Tests run as root, for whom chmod 000 does not stop reading, so permission denial
    # cannot be provoked for real here; a directory, a symlink loop and a missing file are
    # the unreadable inputs we can create.
    folder = d / "a_folder.pdf"
    folder.mkdir()
    assert _kind(folder) == "unreadable"
    loop = d / "loop.pdf"
    loop.symlink_to(loop)
    assert _kind(loop) == "unreadable"
    assert _kind(d / "missing.pdf") == "unreadable"
    if os.geteuid() != 0:  # as a normal user the permission check is real
        locked = d / "locked_perm.pdf"
        F.text_pdf(locked)
        locked.chmod(0)
        assert _kind(locked) == "unreadable"


def test_blank_image_is_empty(d):
    from PIL import Image

    p = d / "white.png"
    Image.new("L", (1275, 1650), 255).save(p, dpi=(150, 150))
    assert _kind(p) == "empty"


# --- many documents, pools, CLI ----------------------------------------------------------------


def test_ingest_many_keeps_order_and_accounts_for_every_input(d, scan_png, scan_pdf):
    text = d / "many_text.pdf"
    F.text_pdf(text)
    zero = d / "many_zero.pdf"
    zero.write_bytes(b"")
    locked = d / "many_locked.pdf"
    F.encrypted_pdf(locked)
    paths = [text, scan_png, zero, scan_pdf, locked, d / "nope.tif", text]
    for workers in (1, 2):
        out = list(ingest_many(paths, workers=workers, cache_dir=None))
        assert [p for p, _ in out] == paths
        kinds = [r.kind if isinstance(r, IngestError) else r.pages[0].source for _, r in out]
        assert kinds == ["text-layer", "ocr", "empty", "ocr", "encrypted", "unreadable", "text-layer"]
    seq = dict((str(p), r) for p, r in ingest_many([scan_pdf], workers=1, cache_dir=None))
    par = dict((str(p), r) for p, r in ingest_many([scan_pdf], workers=2, cache_dir=None))
    assert seq[str(scan_pdf)].pages == par[str(scan_pdf)].pages  # deterministic across processes


def test_threads_share_pdfium_safely(d):
    """pdfium is not thread-safe; ingest serialises its use, so threads get correct results."""
    from concurrent.futures import ThreadPoolExecutor

    paths = []
    for i in range(6):
        p = d / f"thread_{i}.pdf"
        F.text_pdf(p, pages=3)
        paths.append(p)
    expected = ingest(paths[0], cache_dir=None).pages
    with ThreadPoolExecutor(4) as pool:
        docs = list(pool.map(lambda p: ingest(p, cache_dir=None), paths * 3))
    assert all(doc.pages == expected for doc in docs)


def test_worker_crash_fails_only_the_culprit(d):
    """A worker that dies (pdfium segfault, OOM kill) must not take the other documents in
    flight with it: they are retried on a fresh pool, one at a time, and only the file whose
    worker dies again is reported, as `crashed` (the same rule as `docc run`, pipeline.pool).

    A real pdfium crash or OOM kill cannot be provoked on demand, so the test's own pool
    initializer (tests/ingest_fixtures.die_on_open) makes the worker that opens one named file
    exit abruptly (os._exit), which is what a crash looks like to the pool."""
    from pipeline.pool import CRASH_KIND, CRASH_REASON

    paths = []
    for i in range(6):
        p = d / f"crash_{i}.pdf"
        F.text_pdf(p)
        paths.append(p)
    out = list(ingest_many(paths, workers=2, cache_dir=None, initializer=F.die_on_open, initargs=("crash_2.pdf",)))
    assert [p for p, _ in out] == paths
    for p, r in out:
        if p.name == "crash_2.pdf":
            assert isinstance(r, IngestError) and r.kind == CRASH_KIND and r.reason == CRASH_REASON
        else:
            assert isinstance(r, Document) and r.pages[0].source == "text-layer", (p, r)


def test_ocr_pool_spreads_pages(d, scan):
    p = d / "three_scans.pdf"
    F.image_pdf(p, [scan, scan, scan])
    with ProcessPoolExecutor(2) as pool:
        doc = ingest(p, cache_dir=None, ocr_pool=pool)
    assert [pg.source for pg in doc.pages] == ["ocr"] * 3
    assert doc.pages[0].words == doc.pages[2].words


def test_iter_inputs_skips_sidecars(d):
    folder = d / "walk"
    (folder / "sub").mkdir(parents=True)
    F.text_pdf(folder / "a.pdf")
    (folder / "a.json").write_text("{}")
    (folder / "schema.yaml").write_text("x: 1")
    (folder / ".hidden.pdf").write_text("x")
    F.text_pdf(folder / "sub" / "b.pdf")
    assert [p.relative_to(folder).as_posix() for p in iter_inputs([folder])] == ["a.pdf", "sub/b.pdf"]


def test_ingest_walks_like_run(d):
    """`docc ingest` and `docc run` share one walk (pipeline.walk): a symlinked folder is
    followed, and a link back to an ancestor is an input to report (per path), not a loop."""
    from pipeline.walk import walk

    folder = d / "walk_links"
    (folder / "real").mkdir(parents=True)
    F.text_pdf(folder / "real" / "c.pdf")
    (folder / "linked").symlink_to(folder / "real", target_is_directory=True)
    (folder / "real" / "loop").symlink_to(folder, target_is_directory=True)
    got = [p.relative_to(folder).as_posix() for p in iter_inputs([folder])]
    assert got == ["linked/c.pdf", "linked/loop", "real/c.pdf", "real/loop"]
    assert got == [os.fsdecode(e.path)[len(str(folder)) + 1:] for e in walk([folder])]


def test_ingest_command_summary_never_prints_text(d, scan_png, capsys, monkeypatch):
    monkeypatch.setenv("DOCC_CACHE_DIR", str(d / "cli_cache"))
    folder = d / "cli"
    folder.mkdir()
    F.text_pdf(folder / "lab.pdf")
    (folder / "lab.json").write_text('{"patient_name": "Maria Gonzalez"}')
    (folder / "bad.pdf").write_bytes(b"")
    (folder / "scan.png").write_bytes(scan_png.read_bytes())
    code = ingest_command([folder], workers=2)
    out = capsys.readouterr().out
    assert code == 0
    assert "pages (text layer)" in out and "pages (OCR)" in out and "empty" in out
    assert "Gonzalez" not in out and "RIVERSIDE" not in out
