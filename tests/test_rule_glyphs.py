"""A table's vertical border that OCR read as a glyph of the word beside it is taken off."""
from __future__ import annotations

from pipeline.document import Word
from pipeline.ingest.rule_glyphs import trim_rule_glyphs
from pipeline.ingest.tasks import _make_page

# a cell's left border at x=35.5 and right border at x=306.3, from y=698 to y=720
BORDERS = [(35.5, 698.0, 35.5, 720.0), (306.3, 698.0, 306.3, 720.0)]


def _word(text: str, x0: float, x1: float) -> Word:
    return Word(text, x0, 699.0, x1, 714.7, 0.66)


def test_a_border_read_as_the_first_letter_is_dropped():
    [w] = trim_rule_glyphs([_word("IHeight", 34.8, 75.2)], BORDERS)
    assert w.text == "Height"
    assert 39.0 < w.x0 < 42.0 and w.x1 == 75.2


def test_a_border_read_as_several_marks_loses_them_all_but_not_the_word_s_own_capital():
    [w] = trim_rule_glyphs([_word("||Inactive", 34.0, 90.0)], BORDERS)
    assert w.text == "Inactive"
    [w] = trim_rule_glyphs([_word("Medication?||", 250.0, 307.0)], BORDERS)
    assert w.text == "Medication?"


def test_a_border_read_alone_is_no_word():
    assert trim_rule_glyphs([_word("I]", 34.0, 38.0), _word("Height", 41.0, 75.0)], BORDERS) == [
        _word("Height", 41.0, 75.0)]


def test_words_away_from_a_border_or_digits_on_it_are_left_as_read():
    words = [_word("Illinois", 120.0, 160.0),    # a capital I far from any rule
             _word("177", 34.9, 50.0),           # a digit is never a stroke glyph taken off
             _word("lo", 34.9, 40.0)]            # a stroke glyph and one letter: too short to tell
    assert trim_rule_glyphs(words, BORDERS) == words
    assert trim_rule_glyphs(words, []) == words


def test_only_ocr_pages_lose_glyphs_on_rules():
    words = [_word("IHeight", 34.8, 75.2)]
    assert [w.text for w in _make_page(1, 612, 792, "ocr", words, rules=BORDERS).words] == ["Height"]
    assert [w.text for w in _make_page(1, 612, 792, "text-layer", words).words] == ["IHeight"]


def test_a_border_of_a_real_scan_read_as_a_letter_is_no_word():
    """A real page (the light office scan of the fixtures README) read by the real Tesseract:
    the vital signs table's border is read as a lone `I` lying on a rule found on the image; the
    page built from that reading has every other word, and not that one."""
    from pathlib import Path

    import pypdfium2 as pdfium

    from pipeline.ingest import ocr

    src = Path(__file__).parent / "fixtures" / "ccda" / "sophrona_vitals_scan_p4.pdf"
    pdf_page = pdfium.PdfDocument(src)[0]
    gray = pdf_page.render(scale=200 / 72, grayscale=True).to_pil().convert("L")
    words, rules = ocr.read_image(gray, 200, profile="clean_hires")
    on_rule = [w for w in words if w.text == "I" and any(
        r[0] == r[2] and w.x0 - 1 <= r[0] <= w.x1 + 1 and r[1] <= (w.top + w.bottom) / 2 <= r[3] for r in rules)]
    assert on_rule, "the page reader no longer reads the border as a letter: pick another page"
    page = _make_page(1, pdf_page.get_width(), pdf_page.get_height(), "ocr", words, rules=rules)
    assert list(page.words) == [w for w in words if w not in on_rule]
    assert any(w.text == "Heart" for w in page.words)
