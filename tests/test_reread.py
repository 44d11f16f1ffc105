"""The second look at doubtful OCR words (`pipeline.ingest.reread`), with the real Tesseract."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from pipeline.document import group_lines
from pipeline.ingest import ocr
from pipeline.ingest.reread import DOUBTFUL, PxWord, merge, regions, second_look

DPI = 300


def _page(words: list[tuple[str, int, int]], size=(1400, 500)) -> np.ndarray:
    """A white page with each word drawn at (x, baseline y) in pixels."""
    a = np.full((size[1], size[0]), 255, np.uint8)
    for text, x, y in words:
        cv2.putText(a, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 2, cv2.LINE_AA)
    return a


def _block_reader(img: Image.Image) -> list[PxWord]:
    return ocr.tesseract_boxes(img, DPI, None, ocr.SECOND_LOOK_PSM, 60)


def _first_reading(a: np.ndarray) -> list[PxWord]:
    return ocr.tesseract_boxes(Image.fromarray(a), DPI, None, 3, 60)


def test_a_doubtful_word_is_read_again_and_a_sure_one_never():
    a = _page([("Heart", 100, 200), ("Weight", 400, 200), ("Pressure", 700, 200)])
    first = _first_reading(a)
    assert [w.text for w in first] == ["Heart", "Weight", "Pressure"]
    heart, weight, pressure = first
    # what the page reader gives for staggered header cells: a garble, unsure ...
    garbled = PxWord("nea", heart.left, heart.top, heart.right, heart.bottom, 0.43)
    # ... and a misreading it is sure of, which the second look must leave alone
    sure = PxWord("Wcight", weight.left, weight.top, weight.right, weight.bottom, 0.95)
    got = second_look(a, [garbled, sure, pressure], _block_reader)
    assert [w.text for w in got] == ["Heart", "Wcight", "Pressure"]
    assert got[0].conf > DOUBTFUL


def test_a_clean_reading_costs_no_second_look():
    """Nor does an unsure word of one or two characters: as often an icon or a checkbox read
    as letters (`Vv`, `(SF`), which a second look would only read more surely as letters."""
    a = _page([("Heart", 100, 200)])
    calls = []
    first = _first_reading(a)
    icon = PxWord("Vv", 20, 170, 50, 205, 0.35)
    assert second_look(a, first + [icon], lambda img: calls.append(img) or _block_reader(img)) == first + [icon]
    assert calls == [] and regions(first + [icon], a.shape) == []


def test_a_region_never_cuts_a_word_the_first_reading_saw():
    """`Tom` (doubtful) touches `erature` (sure): the region takes all of `erature` in, so the
    second look can read `Temperature` whole."""
    first = [PxWord("Tom", 100, 100, 160, 130, 0.5), PxWord("erature", 162, 100, 260, 130, 0.96),
             PxWord("Far", 900, 100, 950, 130, 0.96)]
    (box,) = regions(first, (500, 1400))
    assert box[0] < 100 and box[2] > 260 and box[2] < 900


def test_a_group_read_less_surely_the_second_time_keeps_the_first_reading():
    first = [PxWord("Heart", 100, 100, 160, 130, 0.55)]
    worse = [PxWord("Hoart", 100, 100, 160, 130, 0.5)]
    better = [PxWord("Heart", 100, 100, 160, 130, 0.9)]
    assert merge(first, worse) == first
    assert merge(first, better) == better
    # nor does another doubtful guess, however a little surer (`Subsoriber` at 0.0, `Subwaribr` at 0.11)
    assert merge([PxWord("Subsoriber", 40, 100, 95, 110, 0.0)], [PxWord("Subwaribr", 40, 100, 95, 110, 0.11)])[0].text == "Subsoriber"
    # a word only the second look found is added only when it is sure
    lone_unsure, lone_sure = PxWord("Blood", 100, 40, 160, 70, 0.7), PxWord("Blood", 100, 40, 160, 70, 0.95)
    assert merge(first, [lone_unsure]) == first
    assert merge(first, [lone_sure]) == first + [lone_sure]


def test_a_word_cut_in_pieces_along_its_line_keeps_the_first_reading():
    """`PROBLEMS` in wide bold capitals, read again as `PROB LEMS`: surer, but no heading would
    match it. Pieces on two lines are the lines the first reading mixed (`nea` for `Heart` over
    `Rate`) and are taken."""
    heading = [PxWord("PROBLEMS", 48, 620, 91, 630, 0.38)]
    assert merge(heading, [PxWord("PROB", 48, 620, 72, 630, 0.66), PxWord("LEMS", 73, 620, 91, 630, 0.96)]) == heading
    mixed = [PxWord("nea", 348, 383, 367, 401, 0.43)]
    lines = [PxWord("Heart", 348, 383, 376, 390, 0.96), PxWord("Rate", 348, 394, 371, 401, 0.96)]
    assert merge(mixed, lines) == lines


def test_staggered_header_cells_of_a_real_scan_read_whole():
    """A real page: the vital signs table of a light office scan (fixtures README), whose header
    cells wrap to one, two and three lines. The page reader alone reads `Heart Rate` as `nea re`
    and `Body Temperature` as `Tom erature`; with the second look both read whole."""
    src = Path(__file__).parent / "fixtures" / "ccda" / "atg_vitals_scan_p3.pdf"
    gray = pdfium.PdfDocument(src)[0].render(scale=240 / 72, grayscale=True).to_pil().convert("L")  # scanned at 240 dpi
    words = ocr.ocr_image(gray, 240, profile="clean_hires")
    texts = [w.text for w in words]
    assert {"Heart", "Rate", "Body", "Temperature"} <= set(texts)
    assert "nea" not in texts and "Tom" not in texts
    lines = [ln.text for ln in group_lines(words)]
    assert any(t.startswith("06/22/2015") and "38 Cel" in t for t in lines)

    page = ocr.prepare_page(gray, 240, profile="clean_hires")  # the page reader alone, on the same cleaned page
    alone = {w.text for w in ocr.tesseract_boxes(Image.fromarray(page.pixels), page.dpi, None, 3, 60)}
    assert "Heart" not in alone and "Temperature" not in alone


def test_the_second_look_is_deterministic():
    a = _page([("Heart", 100, 200), ("Rate", 100, 260)])
    first = [PxWord("nea", 95, 170, 200, 270, 0.3)]
    read = partial(second_look, a, first, _block_reader)
    assert read() == read()


def test_a_number_read_again_differently_keeps_its_doubt():
    """The gate weighs a value by its words' confidence: a tax id read `99-2684808` at 0.5, then
    `99-2684608` at 0.8, is taken (the surer reading) but no surer than the first; letters, and
    a number read the same, take the second reading's confidence. (At 0.55 the second reading
    would be a doubtful guess itself and not taken.)"""
    first = [PxWord("99-2684808", 100, 100, 220, 120, 0.5)]
    (got,) = merge(first, [PxWord("99-2684608", 100, 100, 220, 120, 0.8)])
    assert (got.text, got.conf) == ("99-2684608", 0.5)
    (same,) = merge(first, [PxWord("99-2684808", 100, 100, 220, 120, 0.8)])
    assert same.conf == 0.8
    (word,) = merge([PxWord("Tom", 100, 100, 160, 120, 0.5)], [PxWord("Body", 100, 100, 160, 120, 0.9)])
    assert word.conf == 0.9
