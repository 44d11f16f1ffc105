"""Scan damage, page cleanup before OCR, OCR profiles, and OCR-tolerant reading with voting.

Real Tesseract on real (generated and damaged) pages; each OCR test reads one small page.
"""
from __future__ import annotations

import random

import cv2
import numpy as np
import pytest
from PIL import Image

from eval.corpus import generate, layouts
from eval.corpus.damage import damage, grey_fills, inverted_cells
from eval.corpus.scan import rasterize
from extractors import runtime
from extractors.ocr_tolerance import fix_digits, label_key, vote
from pipeline.document import Document, Page, Word, group_lines
from pipeline.ingest import ocr, preprocess


def _text_page(lines: list[str], dpi: int = 200, size=(1100, 700)) -> np.ndarray:
    """A white page with black Hershey-font text lines (a real raster for Tesseract)."""
    a = np.full((size[1], size[0]), 255, np.uint8)
    for i, t in enumerate(lines):
        cv2.putText(a, t, (60, 90 + i * 70), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 0, 2, cv2.LINE_AA)
    return a


def _ocr_text(a: np.ndarray, dpi: int, profile: str) -> str:
    return " ".join(w.text for w in ocr.ocr_image(Image.fromarray(a), dpi, profile=profile))


# ---------------------------------------------------------------- damage


def test_heavy_scan_is_deterministic_and_differs_from_light():
    lay = layouts("lab_report", heldout=False)[0].name
    a = generate("lab_report", lay, 7, modality="scan", scan_format="png", damage="heavy")
    b = generate("lab_report", lay, 7, modality="scan", scan_format="png", damage="heavy")
    c = generate("lab_report", lay, 7, modality="scan", scan_format="png")
    assert a[0] == b[0] and a[2] == b[2]
    assert a[0] != c[0] and a[2] == c[2]


def test_damage_steps_shade_and_invert():
    page = rasterize(generate("lab_report", layouts("lab_report", heldout=False)[0].name, 1)[0], 100)[0][0]
    a = np.asarray(page, dtype=np.uint8)
    r, rng = random.Random(3), np.random.default_rng(3)
    shaded = grey_fills(a, 100, r, rng)
    assert (shaded < a).sum() > 0.05 * a.size          # paper turned grey somewhere
    inv = inverted_cells(a, 100, random.Random(3), rng)
    assert ((a > 200) & (inv < 100)).sum() > 500        # paper turned dark in label cells
    out, steps = damage(page, 100, random.Random(5), np.random.default_rng(5))
    assert out.size == page.size and steps


# ---------------------------------------------------------------- cleanup and profiles


def test_inverted_cell_is_read_only_after_cleanup():
    a = _text_page(["Patient Name", "Date of Birth"])
    a[40:110, 40:560] = 255 - a[40:110, 40:560]    # white-on-black label cell
    a[40:110, 40:560] = np.maximum(a[40:110, 40:560], 35)
    a[130:190, 40:700] = (a[130:190, 40:700] * 0.7).astype(np.uint8)  # grey fill
    fixed = preprocess.invert_dark_regions(a, 200)
    assert fixed[50:100, 50:550].mean() > 180     # the cell is light now
    assert "Patient" in _ocr_text(a, 200, "clean")
    assert "Birth" in _ocr_text(a, 200, "clean")


def test_a_banner_across_the_page_with_a_short_white_title_is_inverted():
    """A section banner (MedFusion's `VITAL SIGNS`): a dark bar across the page, its title white
    and short at the left, most of the bar plain fill. The title is read after cleanup; the bar's
    ends, where paper shows beside it, are no strokes of a title."""
    a = _text_page(["", "Heart Rate 80 /min"], size=(1700, 400))
    bar = np.full((70, 1600), 90, np.uint8)
    cv2.putText(bar, "VITAL SIGNS", (30, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 245, 2, cv2.LINE_AA)
    a[40:110, 50:1650] = bar
    fixed = preprocess.invert_dark_regions(a, 200)
    assert fixed[45:105, 400:1600].mean() > 150        # the bar is inverted: its plain fill light
    assert (fixed[45:105, 80:300] < 100).sum() > 500    # the title is dark ink
    assert "VITAL" in _ocr_text(a, 200, "clean")


def test_a_rule_or_a_punch_hole_in_the_dark_is_no_light_title():
    """What runs from a dark band's top row to its bottom one is no stroke of a light title: a
    light rule across a grey band, the paper corners of a punch hole's box. Neither is
    inverted (the hole is then whitened as a hole by `remove_holes_and_borders`)."""
    a = np.full((600, 1700), 250, np.uint8)
    a[100:160, 100:1500] = 80                      # a grey band with one light rule across it
    a[100:160, 700:704] = 240
    cv2.circle(a, (60, 400), 38, 20, -1)           # a punch hole in the margin
    fixed = preprocess.invert_dark_regions(a, 300)
    assert fixed[110:150, 200:600].mean() < 120    # the band stays dark
    assert fixed[395:405, 55:65].mean() < 60       # the hole is not turned into a white disc
    cleaned = preprocess.remove_holes_and_borders(fixed, 300)
    assert cleaned[395:405, 55:65].mean() > 200


def test_blank_page_costs_no_ocr():
    rng = np.random.default_rng(0)
    blank = np.clip(rng.normal(205, 6, (1100, 850)), 0, 255).astype(np.uint8)  # grey paper, noise
    blank[rng.random(blank.shape) < 0.0002] = 0                                 # dust
    assert preprocess.is_blank(blank, 100)
    before = ocr.OCR_CALLS
    assert ocr.ocr_image(Image.fromarray(blank), 100) == []
    assert ocr.OCR_CALLS == before
    assert not preprocess.is_blank(_text_page(["x 12"]), 200)


def test_skew_angle_is_found_and_undone():
    a = _text_page(["Patient Name: Jane Doe", "Date of Birth: 03/12/1950", "MRN 4471023"] * 3, size=(1400, 900))
    m = cv2.getRotationMatrix2D((700, 450), 3.0, 1.0)
    rot = cv2.warpAffine(a, m, (1400, 900), borderValue=255)
    assert abs(preprocess.skew_angle(rot, 200) + 3.0) <= 0.3
    assert abs(preprocess.skew_angle(preprocess.deskew(rot, 200), 200)) <= 0.3


def test_a_scanned_table_page_is_turned_the_right_way():
    """Page 4 of a real vendor document scanned with an office scan's damage (Sophrona's vital
    signs, skewed -0.76 degrees): the table's long rules made the coarse search's +0.5 score
    highest, and deskewing doubled the skew, so that every value fell on a line of its own. The
    fine search around the two sharpest coarse angles finds it; its vital signs read row by row."""
    from pathlib import Path

    import pypdfium2 as pdfium

    src = Path(__file__).parent / "fixtures" / "ccda" / "sophrona_vitals_scan_p4.pdf"
    gray = np.asarray(pdfium.PdfDocument(src)[0].render(scale=200 / 72, grayscale=True).to_pil().convert("L"))
    assert abs(preprocess.skew_angle(gray, 200) + 0.76) <= 0.15
    lines = [ln.text for ln in group_lines(ocr.ocr_image(Image.fromarray(gray), 200, profile="clean_hires"))]
    assert any(t.startswith("Heart Rate 80 /min") for t in lines)
    assert any(t.startswith("Blood Pressure Diastolic 88 mm[Hg]") for t in lines)


def test_a_scanned_results_list_reads_a_value_ocr_glued_to_its_unit():
    """FollowMyHealth's results list scanned (light damage): Tesseract reads `10 ng/mL` as one
    word, `10ng/mL`; the row is still read, its value and unit apart."""
    from pathlib import Path

    from extractors import runtime
    from pipeline.ingest.single import ingest

    src = Path(__file__).parent / "fixtures" / "ccda" / "followmyhealth_marshall_scan_p3.pdf"
    doc = ingest(src, profile="clean_hires", cache_dir=None)
    assert doc.pages[0].source == "ocr"
    assert any(w.text.startswith("10ng/") for w in doc.pages[0].words)  # what makes the case
    found = runtime.section_rows(doc, headings=("results",), roles={"test": "name", "value": "value", "unit": "unit"})
    rows = [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]
    assert {"test": "Everolimus Blood", "value": "10", "unit": "ng/mL"} in rows
    assert {"test": "HGB", "value": "10.2", "unit": "g/dL"} in rows


def test_a_scanned_results_table_under_captions_of_its_own_is_read():
    """Navigating Cancer's results printed without grid lines and scanned (light damage):
    `LAB RESULTS`, then the captions `LABORATORY INFORMATION` and `Chemistries and drug levels`,
    then `Group | Component | Quantity | ...`. The captions end no section, since the table under
    them names its test column and its values place `Quantity`; a range whose closing bracket OCR
    lost (`(1.005- 1.03`) is no part of the name."""
    from pathlib import Path

    from extractors import runtime
    from pipeline.ingest.single import ingest

    src = Path(__file__).parent / "fixtures" / "ccda" / "navigating_cancer_scan_p4.pdf"
    doc = ingest(src, profile="clean_hires", cache_dir=None)
    assert doc.pages[0].source == "ocr" and not doc.pages[0].tables  # no drawn grid to go by
    cols = {"test_name": {"headers": ("component", "test"), "learned": 0, "part": "all"},
            "value": {"headers": ("result", "value"), "learned": 0, "part": "num"},
            "unit": {"headers": ("unit",), "learned": 0, "within": ("value", "rest")}}
    found = runtime.grid_rows(doc, columns=cols, anchor="test_name", required=("value",), headings=("results",))
    rows = [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]
    assert {"test_name": "Color of Urine", "value": "YELLOW", "unit": None} in rows
    assert {"test_name": "Specific gravity of Urine by Test strip", "value": "1.015", "unit": None} in rows


def test_holes_and_borders_removed_text_kept():
    a = _text_page(["Patient Name"], size=(1100, 1400))
    cv2.circle(a, (60, 700), 25, 0, -1)        # punch hole in the margin
    a[:, -12:] = 0                             # scanner border
    out = preprocess.remove_holes_and_borders(a, 200)
    assert out[700, 60] == 255 and out[500, -5] == 255
    assert (out[60:110, 60:400] < 128).sum() == (a[60:110, 60:400] < 128).sum()


def test_cache_key_depends_on_profile_and_unknown_profile_fails():
    k = {p: ocr.cache_key("ab" * 32, 1, 300, "eng", p) for p in ocr.PROFILES}
    assert len(set(k.values())) == len(k)
    with pytest.raises(ValueError):
        ocr.get_profile("no-such-profile")


def test_cache_key_changes_with_the_rule_finding_code(tmp_path):
    """Rules are cached with the words: rules found by older code are never served. A copy of
    the package whose rules.py differs by one comment line computes another key, in a fresh
    interpreter that imports the copy."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    probe = 'from pipeline.ingest import ocr; print(ocr.cache_key("ab" * 32, 1, 300, "eng", "clean"))'

    def key_with(package: Path) -> str:
        out = subprocess.run([sys.executable, "-c", probe], cwd=package.parent, capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(package.parent)}, check=True)
        return out.stdout.strip()

    copy = tmp_path / "pipeline"
    shutil.copytree(root / "pipeline", copy, ignore=shutil.ignore_patterns("__pycache__"))
    same = key_with(copy)
    assert same == ocr.cache_key("ab" * 32, 1, 300, "eng", "clean")
    with (copy / "ingest" / "rules.py").open("a", encoding="utf-8") as fh:
        fh.write("# edited\n")
    assert key_with(copy) != same


def test_ocr_noise_words_are_dropped_on_a_damaged_page(tmp_path, monkeypatch):
    """Specks and hole edges that Tesseract reads as "!", "{", "|" are dropped (real Tesseract,
    heavy damage); a short word with a letter (a flag `H`, a unit `s`) is kept."""
    data, ext, gold = generate("prescription", "rx_a", 1000, modality="scan", scan_format="pdf", damage="heavy")
    (tmp_path / f"rx.{ext}").write_bytes(data)
    dropped: list[str] = []
    real = ocr.is_noise

    def spy(text: str, conf: float) -> bool:
        if real(text, conf):
            dropped.append(text)
            return True
        return False

    # a spy, not a mock: it calls the real filter and only records what it drops
    monkeypatch.setattr(ocr, "is_noise", spy)
    from pipeline.ingest import ingest

    doc = ingest(tmp_path / f"rx.{ext}", cache_dir=None, profile="clean")
    assert dropped, "the damaged page should make Tesseract read some specks"
    assert not any(real(w.text, w.conf) for p in doc.pages for w in p.words)
    assert all(any(ch.isalnum() for ch in t) is False for t in dropped)
    assert gold["drug_name"].split()[0] in doc.text         # the drug is still read
    assert ocr.is_noise("%", 0.3) is False and ocr.is_noise("12/26/2023,", 0.38) is False
    assert ocr.is_noise("!", 0.57) and ocr.is_noise("{", 0.81) and not ocr.is_noise("F", 0.92)
    assert not ocr.is_noise("2,", 0.3) and not ocr.is_noise("H", 0.3) and not ocr.is_noise("s", 0.41)


def test_ocr_bench_blank_scans_cost_no_ocr(tmp_path):
    """The OCR benchmark's blank scanned pages (paper tone, shadow, noise) never reach Tesseract,
    for the default and the cleanup profile."""
    from eval.bench.ocr_bench import make_pages, one_thread

    scans, blanks = make_pages(tmp_path, docs=0, blank=2, dpi=150)
    assert scans == [] and len(blanks) == 2
    for profile in ("default", "clean"):
        got = one_thread(blanks, set(blanks), profile)
        assert got["blank_pages"] == 2 and got["blank_pages_ocr_calls"] == 0 and got["pages"] == 0


# ---------------------------------------------------------------- OCR-tolerant reading


def test_fix_digits_only_touches_numbers():
    assert fix_digits("3O/l2/1934") == "30/12/1934"
    assert fix_digits("DOB: 3O/12/I934") == "DOB: 30/12/1934"
    assert fix_digits("Sep 5, 2015 Oliver") == "Sep 5, 2015 Oliver"
    assert fix_digits("B0B") == "B0B"            # a word, not a number
    assert label_key("D0B") == label_key("DOB")
    assert label_key("Narne") == label_key("Name")
    assert label_key("Pat1ent") == label_key("Patient")


def test_vote_weights_by_confidence():
    assert vote([("a", 0.9), ("b", 0.5), ("b", 0.5)])[0] == "b"
    assert vote([("a", 0.9), ("b", 0.3), ("b", 0.3)])[0] == "a"
    assert vote([("a", 0.5), ("b", 0.5)])[0] == "a"
    assert vote([]) is None


def _ocr_doc(lines: list[list[tuple[str, float]]], source: str = "ocr") -> Document:
    words = []
    for i, line in enumerate(lines):
        x = 50.0
        for text, conf in line:
            words.append(Word(text, x, 100.0 + 30 * i, x + 8 * len(text), 110.0 + 30 * i, conf))
            x += 8 * len(text) + 6
    page = Page(1, 612.0, 792.0, source, tuple(words), group_lines(words))
    return Document(source="x", sha256="0" * 64, pages=(page,), meta={})


def test_field_on_ocr_pages_votes_and_tolerates_confusions():
    doc = _ocr_doc([
        [("D0B:", 0.7), ("3O/12/1934", 0.6)],              # label and value with O/0 confusions
        [("Date", 0.9), ("of", 0.9), ("Birth:", 0.9), ("30/12/1934", 0.9)],
        [("DOB:", 0.4), ("20/12/1934", 0.4)],              # a misread mention
    ])
    found = runtime.field(doc, kind="date", labels=["dob", "date of birth"], keywords={"dob": 1.0, "birt": 1.0})
    assert found is not None and found.value == "1934-12-30"
    only_bad = _ocr_doc([[("D0B:", 0.7), ("3O/12/1934", 0.6)]])
    assert runtime.field(only_bad, kind="date", labels=["dob"], keywords={"dob": 1.0}).value == "1934-12-30"
    # a text layer is read as printed: no repair, no tolerant labels
    text = _ocr_doc([[("D0B:", 1.0), ("3O/12/1934", 1.0)]], source="text")
    assert runtime.field(text, kind="date", labels=["dob"], keywords={"dob": 1.0}) is None


def test_split_vote_lowers_confidence():
    doc = _ocr_doc([[("DOB:", 0.8), ("30/12/1934", 0.8)], [("DOB:", 0.8), ("20/12/1934", 0.8)]])
    found = runtime.field(doc, kind="date", labels=["dob"], keywords={"dob": 1.0})
    assert found.value == "1934-12-30" and found.confidence < 0.5


# ---------------------------------------------------------------- profile choice at compile time


def test_choose_profile_scores_each_profile_on_scanned_samples(tmp_path):
    import json

    from eval.corpus.schemas import schema_yaml
    from extractors.ocr_profiles import choose_profile, locked_profiles
    from extractors.schema import load_sample_set
    from pipeline.ingest import ingest

    folder = tmp_path / "lab_report"
    folder.mkdir()
    (folder / "schema.yaml").write_text(schema_yaml("lab_report"), encoding="utf-8")
    lay = layouts("lab_report", heldout=False)[0].name
    data, ext, gold = generate("lab_report", lay, 11, modality="scan", scan_format="png", damage="heavy")
    (folder / f"s1.{ext}").write_bytes(data)
    (folder / "s1.json").write_text(json.dumps(gold), encoding="utf-8")
    sset = load_sample_set(folder)
    docs = {"s1": ingest(folder / f"s1.{ext}", cache_dir=tmp_path / "cache")}
    source = (__import__("pathlib").Path("extractors/compiled/lab_report.py")).read_text(encoding="utf-8")
    choice = choose_profile(sset, docs, source, profiles=["default", "clean"])
    assert choice["samples"] == 1 and set(choice["scores"]) == {"default", "clean"}
    raw, cleaned = choice["scores"]["default"], choice["scores"]["clean"]
    assert choice["name"] == ("default" if raw - cleaned > 0.03 else "clean")
    assert locked_profiles({"lab_report": {"ocr_profile": choice}, "x": {}}) == {"lab_report": choice["name"], "x": "default"}


def test_a_raw_profile_must_beat_the_best_cleaning_one_by_a_margin():
    from extractors.ocr_profiles import pick_profile

    names = ["default", "clean", "clean_heal"]
    assert pick_profile({"default": 0.926, "clean": 0.900, "clean_heal": 0.819}, names) == "clean"
    assert pick_profile({"default": 0.97, "clean": 0.90, "clean_heal": 0.82}, names) == "default"
    assert pick_profile({"default": 0.80, "clean": 0.90, "clean_heal": 0.93}, names) == "clean_heal"
    assert pick_profile({"default": 0.9, "clean": 0.9, "clean_heal": 0.9}, names) == "clean"


def test_a_profile_that_enlarges_the_page_must_win_by_a_margin_and_reads_scans_without_scanned_samples(tmp_path):
    """Enlarging costs OCR time and read generated heavy-damage forms worse: it is chosen only
    when the samples' scans read clearly better with it. A doc type whose samples hold no scan
    gets the profile that read real vendor scans best."""
    import json

    from eval.corpus.schemas import schema_yaml
    from extractors.ocr_profiles import NO_SCANS_PROFILE, choose_profile, pick_profile
    from extractors.schema import load_sample_set

    names = ["default", "clean", "clean_heal", "clean_hires"]
    assert pick_profile({"default": 0.807, "clean": 0.936, "clean_heal": 0.643, "clean_hires": 0.9375}, names) == "clean"
    assert pick_profile({"default": 0.957, "clean": 0.959, "clean_heal": 0.880, "clean_hires": 0.984}, names) == "clean_hires"
    assert pick_profile({"default": 0.99, "clean": 0.90, "clean_heal": 0.88, "clean_hires": 0.91}, names) == "default"
    assert pick_profile({"default": 0.92, "clean": 0.90, "clean_heal": 0.88, "clean_hires": 0.91}, names) == "clean"

    folder = tmp_path / "lab_report"
    folder.mkdir()
    (folder / "schema.yaml").write_text(schema_yaml("lab_report"), encoding="utf-8")
    lay = layouts("lab_report", heldout=False)[0].name
    data, ext, gold = generate("lab_report", lay, 11, modality="text")
    (folder / f"s1.{ext}").write_bytes(data)
    (folder / "s1.json").write_text(json.dumps(gold), encoding="utf-8")
    docs = {"s1": __import__("pipeline.ingest", fromlist=["ingest"]).ingest(folder / f"s1.{ext}", cache_dir=None)}
    source = (__import__("pathlib").Path("extractors/compiled/lab_report.py")).read_text(encoding="utf-8")
    choice = choose_profile(load_sample_set(folder), docs, source)
    assert choice == {"name": NO_SCANS_PROFILE, "samples": 0, "scores": {}}
    assert ocr.get_profile(NO_SCANS_PROFILE).chain != "none"


def test_a_page_is_enlarged_by_a_whole_factor_and_never_past_the_pixel_limit():
    from pipeline.settings import settings

    a4_200 = 1700 * 2200
    assert ocr.enlargement(a4_200, 200, 300) == 2
    assert ocr.enlargement(a4_200, 240, 300) == 2
    assert ocr.enlargement(a4_200, 300, 300) == 1 and ocr.enlargement(a4_200, 200, 0) == 1
    assert ocr.enlargement(a4_200, 100, 300) == 3
    poster = settings().max_image_pixels // 3  # a page within the limit that four times its pixels would pass
    assert ocr.enlargement(poster, 150, 300) == 1


def test_small_type_scanned_at_200_dpi_is_read_enlarged():
    """A real vendor page (Atos Pulse's vital signs, 9 pt cells) rasterised at 200 dpi: read at
    twice the size, the units in its cells come back as printed. The page's words keep their
    place in points."""
    import collections
    from pathlib import Path

    import pdfplumber
    import pypdfium2 as pdfium

    src = Path(__file__).parent / "fixtures" / "ccda" / "atos_pulse_vitals_p2.pdf"
    img = pdfium.PdfDocument(src)[0].render(scale=200 / 72, grayscale=True).to_pil()
    with pdfplumber.open(src) as pdf:
        printed = pdf.pages[0].extract_words()
    words = ocr.ocr_image(img, 200, profile="clean_hires")
    read = collections.Counter(w.text for w in words)
    assert read["mm[Hg]"] == 2 and read["kg"] == 1 and read["Cel"] == 1
    assert sum((collections.Counter(w["text"] for w in printed) & read).values()) >= 0.98 * len(printed)
    kg = next(w for w in words if w.text == "kg")
    at = next(w for w in printed if w["text"] == "kg")
    assert abs(kg.x0 - at["x0"]) < 2 and abs(kg.top - at["top"]) < 2


def test_eval_modality_section_splits_text_and_scans_by_profile(tmp_path):
    from eval.corpus.schemas import schema_yaml
    from eval.runner import DocRecord, modality_section
    from extractors.schema import Schema

    (tmp_path / "schema.yaml").write_text(schema_yaml("lab_report"), encoding="utf-8")
    schema = Schema.load(tmp_path / "schema.yaml")
    gold = {"patient_name": "Jane Doe"}
    recs = [
        DocRecord("s", "lab_report", "t1", gold, {"patient_name": "Jane Doe"}),
        DocRecord("s", "lab_report", "o1", gold, {"patient_name": "Jane Doe"}, ocr_profile="clean"),
        DocRecord("s", "lab_report", "o2", gold, {"patient_name": "J4ne"}, ocr_profile="default"),
    ]
    mod = modality_section(recs, {("s", "lab_report"): schema})
    row = mod["s"]["lab_report"]
    assert row["text"]["n_docs"] == 1 and row["scan"]["n_docs"] == 2
    assert row["profiles"]["clean"]["micro_f1"] > row["profiles"]["default"]["micro_f1"]
    assert row["text"]["micro_f1"] >= row["scan"]["micro_f1"]


def test_eval_modality_pools_sets_and_adds_compared_profiles(tmp_path):
    """A text set and a scan set of the same documents meet on one "(all sets)" row with their
    gap; records read with another profile count only in that profile's figure."""
    from eval.corpus.schemas import schema_yaml
    from eval.report import DocRecord, modality_section
    from extractors.schema import Schema

    (tmp_path / "schema.yaml").write_text(schema_yaml("lab_report"), encoding="utf-8")
    schema = Schema.load(tmp_path / "schema.yaml")
    gold = {"patient_name": "Jane Doe"}
    recs = [
        DocRecord("text", "lab_report", "a", gold, {"patient_name": "Jane Doe"}),
        DocRecord("scan", "lab_report", "a", gold, {"patient_name": "J4ne"}, ocr_profile="clean"),
    ]
    other = [DocRecord("scan", "lab_report", "a", gold, {"patient_name": "Jane Doe"}, ocr_profile="default"),
             DocRecord("scan", "lab_report", "a", gold, {"patient_name": "J4ne"}, ocr_profile="clean"),  # read twice: once
             DocRecord("text", "lab_report", "a", gold, {"patient_name": "x"})]  # text record: ignored
    schemas = {("text", "lab_report"): schema, ("scan", "lab_report"): schema}
    mod = modality_section(recs, schemas, other)
    pooled = mod["(all sets)"]["lab_report"]
    assert pooled["text"] == {"n_docs": 1, "micro_f1": 1.0}
    assert pooled["scan"]["n_docs"] == 1 and pooled["scan"]["micro_f1"] < 1.0
    assert pooled["gap"] == round(1.0 - pooled["scan"]["micro_f1"], 4)
    assert pooled["profiles"]["default"] == {"n_docs": 1, "micro_f1": 1.0}
    assert mod["scan"]["lab_report"]["profiles"]["clean"]["micro_f1"] < 1.0
    assert pooled["profiles"]["clean"]["n_docs"] == 1
    assert mod["text"]["lab_report"]["text"]["micro_f1"] == 1.0 and mod["text"]["lab_report"]["gap"] is None


def test_tolerant_reading_runs_inside_the_validation_sandbox():
    """Generated code runs in a sandbox that forbids imports: OCR pages take the tolerant path there too."""
    from extractors.compiler import run_sandboxed

    source = (
        "from extractors import runtime\n\n\n"
        "def extract(doc):\n"
        "    return {'birth_date': runtime.field(doc, kind='date', labels=['dob'], keywords={'dob': 1.0})}\n"
    )
    doc = _ocr_doc([[("D0B:", 0.7), ("3O/12/1934", 0.6)], [("DOB:", 0.9), ("30/12/1934", 0.9)]])
    out = run_sandboxed([source], [doc])
    assert out[0][0] is not None
    got = out[0][0]["birth_date"]
    assert (got.get("value") if isinstance(got, dict) else got.value) == "1934-12-30"



def test_stroke_healing_reads_a_faxed_real_vendor_page():
    """A real vendor page (tests/fixtures/ccda) with grey fills, noise and fax binarisation: the
    `clean_heal` chain (a stroke-healing blur before `clean`) reads its title, which `clean`
    reads as letter soup, and reads at least as many of the header's words."""
    from pathlib import Path

    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(Path(__file__).parent / "fixtures" / "ccda" / "sophrona_newman.pdf")
    page = doc[0].render(scale=200 / 72, grayscale=True).to_pil().convert("L")
    faxed, applied = damage(page, 200, random.Random(1), np.random.default_rng(1),
                            chain=(("grey_fills", 1.0), ("noise", 1.0), ("fax", 1.0)))
    assert applied == ["grey_fills", "noise", "fax"]
    top = faxed.crop((0, 0, faxed.size[0], faxed.size[1] // 3))
    healed, plain = _ocr_text(np.asarray(top), 200, "clean_heal"), _ocr_text(np.asarray(top), 200, "clean")
    assert "Health Record" in healed  # (`clean` reads it too since light-on-dark inversion is bounded to the fill)
    header = ("Patient", "Health", "Record", "Newman", "Female", "Caucasian", "White", "2.16.840")
    assert sum(w in healed for w in header) >= sum(w in plain for w in header)


def _ocr_page_doc(lines: list[str], source: str = "ocr") -> Document:
    """A real page OCR'd by Tesseract (profile `clean`) as a one-page document; `source="text"`
    gives the same words as if a text layer had printed them."""
    words = ocr.ocr_image(Image.fromarray(_text_page(lines, size=(1500, 90 + 70 * len(lines)))), 200, profile="clean")
    page = Page(1, 540.0, 400.0, source, tuple(words), group_lines(words))
    return Document(source="x", sha256="0" * 64, pages=(page,), meta={})


def test_scan_date_is_not_taken_from_a_label_that_only_says_date():
    """A birth date whose own label a scan lost is left empty, not read from `Date:` or from a
    long line holding `Start Date:`; with its label printed it is read; a text layer is read as
    before (there a lone `Date:` label still counts, as it always did)."""
    spec = dict(kind="date", labels=["date of birth"], lex_labels=["dob", "birth date"],
                keywords={"birt": 1.0, "date": 1.0, "dob": 0.8}, foes={"name": 1.0}, min_score=0.6, max_words=5)
    lost = ["Essential Hypertension [Start Date: 10/5/2011]", "Visit Date: 07/22/2015"]
    doc = _ocr_page_doc(lost)
    assert "07/22/2015" in doc.text and "10/5/2011" in doc.text     # the dates are read...
    assert runtime.field(doc, **spec) is None                        # ...and none is taken for the birth date
    shown = _ocr_page_doc(lost + ["Date of Birth: 05/01/1970"])
    found = runtime.field(shown, **spec)
    assert found is not None and found.value == "1970-05-01"
    as_text = Document(source="x", sha256="0" * 64, pages=(doc.pages[0].__class__(
        1, 540.0, 400.0, "text", doc.pages[0].words, doc.pages[0].lines),), meta={})
    assert runtime.field(as_text, **spec).value == "2015-07-22"     # text layers: unchanged behaviour


def test_devscan_judges_extracted_header_values():
    """`eval.devscan --extractor` counts a value right, wrong (another date, a misread name) or missing."""
    from datetime import date
    from pathlib import Path

    from eval.devscan import DevDoc, judge

    d = DevDoc(Path("x.pdf"), {"given": "Alice", "family": "Newman", "birth_date": "May 1, 1970", "mrn": "3368"},
               birth=date(1970, 5, 1))
    f = runtime.Found
    got = judge(d, {"patient_name": f("Alice J Newman", 1, (0, 0, 1, 1), "", 1.0),
                    "birth_date": f("2015-07-22", 1, (0, 0, 1, 1), "", 1.0), "mrn": None})
    assert got == {"patient_name": "right", "birth_date": "wrong", "mrn": "missing"}
    assert judge(d, {"patient_name": f("_Alice Newman", 1, (0, 0, 1, 1), "", 1.0)})["patient_name"] == "wrong"


def test_uuid_identifier_read_on_a_scan_gets_its_zero_back():
    """In a UUID an O can only be a 0: an identifier read by OCR is repaired, a text layer's is not."""
    from extractors.ocr_tolerance import fix_uuid

    assert fix_uuid("5970DFDD-FE04-47BB-9548-A90DA78D3COF") == "5970DFDD-FE04-47BB-9548-A90DA78D3C0F"
    assert fix_uuid("5970DFDD-FE04-47BB-9548-A90DA78D3CXF") == "5970DFDD-FE04-47BB-9548-A90DA78D3CXF"  # not a look-alike
    assert fix_uuid("MRN-00O12") == "MRN-00O12"                                                          # not a UUID
    lines = [[("Patient", 0.9), ("ID:", 0.9), ("5970DFDD-FE04-47BB-9548-A90DA78D3COF", 0.8)]]
    spec = dict(kind="identifier", labels=["patient id"], keywords={"pati": 0.4})
    assert runtime.field(_ocr_doc(lines), **spec).value == "5970DFDD-FE04-47BB-9548-A90DA78D3C0F"
    assert runtime.field(_ocr_doc(lines, source="text"), **spec).value == "5970DFDD-FE04-47BB-9548-A90DA78D3COF"


def test_rule_fragments_are_not_words_on_a_damaged_real_page():
    """A real vendor page (tests/fixtures/ccda) with heavy damage: Tesseract reads one-pixel
    slivers of rules as symbols (`-`); `ocr_image` drops them, since `group_lines` would join
    the text lines above and below through them. Text of the page is still read. (Damage seed
    6: with the cleanup as it is, that seed's page is one where Tesseract returns slivers.)"""
    from pathlib import Path

    import pypdfium2 as pdfium
    import pytesseract

    doc = pdfium.PdfDocument(Path(__file__).parent / "fixtures" / "ccda" / "medconnect_newman.pdf")
    page = doc[0].render(scale=300 / 72, grayscale=True).to_pil().convert("L")
    dmg, _ = damage(page, 300, random.Random(6), np.random.default_rng(6))
    cleaned = Image.fromarray(preprocess.apply(preprocess.CHAINS["clean"], np.asarray(dmg, dtype=np.uint8), 300))
    raw = pytesseract.image_to_data(cleaned, config="--psm 3 --dpi 300", output_type=pytesseract.Output.DICT)
    slivers = [t for i, t in enumerate(raw["text"]) if raw["level"][i] == 5 and t.strip()
               and float(raw["conf"][i]) >= 0 and ocr.is_rule_fragment(t.strip(), raw["height"][i])
               and not ocr.is_noise(t.strip(), 0.0)]
    assert slivers                                      # Tesseract does return them on this page
    words = ocr.ocr_image(dmg, 300, profile="clean")
    assert not [w for w in words if w.bottom - w.top <= 72 / 300 + 1e-6 and not any(c.isalnum() for c in w.text)]
    assert "NEWMAN" in " ".join(w.text for w in words).upper()


def test_bold_heading_is_not_taken_for_a_dark_cell_nor_a_punch_hole():
    """Large bold type (a patient-name heading) on white paper: its strokes are as dark and as
    wide as a fill, and a capital in the left margin is as big and dense as a punch hole. The
    cleanup must leave it dark on white (before, it was inverted to outlines and its first
    capitals erased), while a real white-on-dark cell next to it is still inverted."""
    a = np.full((700, 2400), 255, np.uint8)
    cv2.putText(a, "NEWMAN, Alice", (60, 200), cv2.FONT_HERSHEY_SIMPLEX, 4.0, 0, 22, cv2.LINE_AA)
    a[330:430, 60:900] = 40                                                     # a dark label cell
    cv2.putText(a, "Patient ID", (90, 405), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 250, 5, cv2.LINE_AA)
    cleaned = preprocess.apply(preprocess.CHAINS["clean"], a, 300)
    ink = a[60:230, 40:1400] < 128
    assert (cleaned[60:230, 40:1400] < 128)[ink].mean() > 0.9           # the heading stays ink
    assert (cleaned[60:230, 40:1400] < 128)[~ink].mean() < 0.02         # and paper stays paper
    text = _ocr_text(a, 300, "clean")
    assert "NEWMAN" in text and "Patient" in text


def test_dark_band_between_text_rows_inverts_only_the_band_on_a_damaged_real_page():
    """A real vendor page (tests/fixtures/ccda, MedConnect) with the dev-set scan damage of
    `eval.devscan` (seeded by the file's hash): a moiré band darkens the `Date of birth` row,
    whose text is then lighter than its fill, between rows of dark text on paper. Only the
    band's rows are inverted, so the patient's name above it and the birth date in it are read
    (before, the band's bounding box, reaching into the rows around it, was inverted whole
    and neither was in the OCR text)."""
    from pathlib import Path

    from eval.devscan import scan_pages

    page = scan_pages(Path(__file__).parent / "fixtures" / "ccda" / "medconnect_newman.pdf", 1)[0]
    top = page.crop((0, 0, page.size[0], 700))
    text = _ocr_text(np.asarray(top), 300, "clean")
    assert "ALICE NEWMAN" in text
    assert "May 1, 1970" in text


# Words Tesseract 5.3 read in the patient header of a scanned vendor C-CDA page (ONC sample,
# Get Well Clinic rendering, page 1 with the `eval.devscan` damage, profile `clean`): a row of
# values, a row separator read as flat words (`7`, `eee`, `“=a`, `_..Payers`), the labels row.
_HEADER_WORDS = [
    ("Female", 189.1, 203.0, 217.4, 0.96), ("103888", 486.5, 204.0, 216.7, 0.38), ("1,", 48.0, 203.0, 218.9, 0.31),
    ("1970", 59.3, 204.0, 217.9, 0.31), ("May", 25.2, 205.9, 217.7, 0.96), ("excluded/not_", 388.6, 205.9, 217.9, 0.91),
    ("7", 127.7, 216.0, 216.5, 0.39), ("_..Payers", 339.6, 216.2, 216.5, 0.25), ("eee", 99.8, 216.0, 217.7, 0.36),
    ("ee", 235.9, 216.0, 217.7, 0.1), ("eee", 291.8, 216.0, 217.9, 0.04), ("“=a", 456.5, 216.0, 217.9, 0.0),
    ("7", 57.1, 216.2, 217.9, 0.45), ("Born", 23.0, 216.0, 223.7, 0.54), ('"Patient', 500.6, 216.0, 223.9, 0.0),
    ("Be", 187.7, 216.2, 223.7, 0.63), ("id", 564.5, 216.2, 223.7, 0.59), ("available", 336.0, 216.0, 226.6, 0.04),
]


def test_words_flattened_from_a_rule_do_not_join_a_value_row_to_its_label_row():
    """Tesseract reads a row separator as flat words with letters (boxes 1-2 points tall);
    `group_lines` puts them among the row of values (or, by their centres alone, chains the row
    of labels under it into the same line), so the value's cell is cut (`May 1, 1970 eee 7`). `drop_flat_words` removes words
    flatter than a quarter of the page's median word height: the two rows come apart. On a page
    Tesseract reads now (two rows of real text), it drops nothing."""
    words = [Word(t, x0, top, x0 + 6.0 * len(t), bottom, c) for t, x0, top, bottom, c in _HEADER_WORDS]
    assert "eee" in group_lines(words)[0].text  # the rule's words cut the value's cell
    lines = group_lines(ocr.drop_flat_words(words))
    assert [[w.text for w in ln.words] for ln in lines] == [
        ["May", "1,", "1970", "Female", "excluded/not_", "103888"], ["Born", "Be", "available", '"Patient', "id"]]
    a = np.full((200, 1500), 255, np.uint8)
    cv2.putText(a, "1970     FEMALE     103888     ALICE", (40, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3, cv2.LINE_AA)
    cv2.putText(a, "BORN          SEX          PATIENT ID     NAME", (40, 112), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 0, 2, cv2.LINE_AA)
    read = ocr.ocr_image(Image.fromarray(a), 200, profile="clean")
    assert {"FEMALE", "BORN", "SEX"} <= {w.text for w in read}
    assert ocr.drop_flat_words(read) == read and len(group_lines(read)) == 2


def test_equally_good_labels_on_a_scan_go_to_the_earliest_as_on_a_text_layer():
    """`PRINCIPAL DIAGNOSIS` and a table's `Diagnosis` header are both learned labels with the
    value under them. OCR read the principal diagnosis's code with low confidence; a vote over
    both labels would take the secondary diagnosis. The earliest label wins, as on a text
    layer, and the disagreement lowers the confidence."""
    doc = _ocr_doc([
        [("PRINCIPAL", 0.95), ("DIAGNOSIS", 0.95)],
        [("Cellulitis", 0.9), ("of", 0.9), ("right", 0.9), ("lower", 0.9), ("limb", 0.9), ("(LO3.115)", 0.3)],
        [("Diagnosis", 0.95)],
        [("Anemia,", 0.95), ("unspecified", 0.95)],
    ])
    found = runtime.field(doc, kind="string", labels=["principal diagnosis", "diagnosis"], min_score=0.6,
                          suffix=r"(?<![\w.])(\([A-Z]+\d+\.\d+\))(?![\w])",
                          label_relations={"principal diagnosis": "below", "diagnosis": "right"})
    assert found is not None and found.value == "Cellulitis of right lower limb"  # the misread code is cut too
    assert found.confidence < 0.6
    code = runtime.field(doc, kind="code", system="icd10cm", labels=["principal diagnosis"], min_score=0.6, max_words=3)
    assert code is not None and code.value == "L03.115" and code.confidence < 0.5  # read off a doubtful word


def test_icd10_repair_touches_only_the_chapter_letter_and_the_digit_after_it():
    from extractors.ocr_tolerance import fix_icd10

    assert fix_icd10("Cellulitis (LO3.115)") == "Cellulitis (L03.115)"
    assert fix_icd10("Sl2.3 Lol 3") == "S12.3 Lol 3"
    assert fix_icd10("125.10") == "125.10"  # an amount as much as a code, unless a code column holds it
    assert fix_icd10("125.10", chapter=True) == "I25.10"
    assert fix_icd10("BP 120/80, SG 1.025, 125", chapter=True) == "BP 120/80, SG 1.025, 125"
    assert fix_icd10("503.9", chapter=True) == "503.9"  # an E or an S: not guessed


def test_unit_column_cells_misread_by_ocr_are_read_as_the_known_unit():
    from extractors._rt_units import nearest_unit, snap_unit_columns

    assert nearest_unit("1043/uL") == "10^3/uL" and nearest_unit("mg/dL.") == "mg/dL"
    assert nearest_unit("10*3/uL") == "10*3/uL"  # UCUM's form, as C-CDA documents print it
    assert nearest_unit("x10*3/uL") == "x10*3/uL" and nearest_unit("pH") == "pH"  # printed forms, not slips
    assert nearest_unit("(10*3/uL)") is None and nearest_unit("mm[Hg])") == "mm[Hg]"  # printed in brackets
    assert nearest_unit("mU/min/1.73m2") == "mL/min/1.73m2" and nearest_unit("mg/dl") == "mg/dl"  # as printed
    assert nearest_unit("g/d") is None  # as near g/L as g/dL: left as read
    assert nearest_unit("Negative") is None
    doc = _ocr_doc([[("x", 0.9)]])
    cell = lambda v: runtime.Found(v, 1, (0, 0, 1, 1), v, 1.0)  # noqa: E731
    rows = [{"test": cell("WBC"), "unit": cell("1043/uL")}, {"test": cell("Sodium"), "unit": cell("mmol/L")},
            {"test": cell("Glucose"), "unit": cell("mg/dL.")}, {"test": cell("BUN"), "unit": cell("mg/dL")}]
    snapped = snap_unit_columns(doc, runtime.Found(rows, 1, (0, 0, 1, 1), "", 0.9))
    assert [r["unit"].value for r in snapped.value] == ["10^3/uL", "mmol/L", "mg/dL", "mg/dL"]
    assert snapped.value[0]["unit"].text == "1043/uL"  # the reading stays as provenance
    assert [r["test"].value for r in snapped.value] == ["WBC", "Sodium", "Glucose", "BUN"]
    # a text layer prints what it prints
    text = _ocr_doc([[("x", 1.0)]], source="text")
    rows = [{"unit": cell("1043/uL")}, {"unit": cell("mmol/L")}, {"unit": cell("mg/dL")}]
    assert snap_unit_columns(text, runtime.Found(rows, 1, (0, 0, 1, 1), "", 0.9)).value[0]["unit"].value == "1043/uL"
    # a reading as near two known units is the one its own column prints as read
    assert nearest_unit("mg/d") is None  # as near mg/L as mg/dL
    rows = [{"test": cell("Ferritin"), "unit": cell("mg/d")}, {"test": cell("CRP"), "unit": cell("mg/L")},
            {"test": cell("HGB"), "unit": cell("g/dL")}]
    assert [r["unit"].value for r in snap_unit_columns(doc, runtime.Found(rows, 1, (0, 0, 1, 1), "", 0.9)).value] == [
        "mg/L", "mg/L", "g/dL"]
    assert nearest_unit("c", frozenset({"cm"})) is None  # one letter is one slip from too many units
    # letter case aside: the unit in the case its column prints it, else the slips in the unit's own
    assert nearest_unit("mq/dl", frozenset({"mg/dl"})) == "mg/dl" and nearest_unit("mg/di") == "mg/dL"
    assert nearest_unit("Ibs") == "lbs" and nearest_unit("pet") == "pct" and nearest_unit("Ce!") == "Cel"
    # a column of a known unit and two slips of one is a unit column
    rows = [{"test": cell("pH"), "unit": cell("pH")}, {"test": cell("Glucose"), "unit": cell("mq/dl")},
            {"test": cell("Protein"), "unit": cell("mg/di")}, {"test": cell("Ketones"), "unit": None}]
    assert [r["unit"] and r["unit"].value for r in snap_unit_columns(doc, runtime.Found(rows, 1, (0, 0, 1, 1), "", 0.9)).value] == [
        "pH", "mg/dl", "mg/dL", None]  # the case each was read in, the slipped letter in the unit's
    # slips alone say nothing: no cell of the column reads as a known unit
    rows = [{"unit": cell("mq/dl")}, {"unit": cell("mg/di")}]
    assert [r["unit"].value for r in snap_unit_columns(doc, runtime.Found(rows, 1, (0, 0, 1, 1), "", 0.9)).value] == [
        "mq/dl", "mg/di"]


def test_a_table_on_a_skewed_scan_reads_rows_the_line_grouping_cut_in_two():
    """On a slightly skewed scan the right-hand code column prints a few pixels above its
    description, and the line grouping cuts the header and every row in two. Each pair is read
    as one row; a row whose code OCR misread (`503.9`) is lost, not the rest of the table."""
    def line(y_left, left, y_right, right, conf=0.9):
        out = [Word(t, 74 + 40 * i, y_left, 74 + 40 * i + 36, y_left + 10, conf) for i, t in enumerate(left.split())]
        return out + [Word(right, 454, y_right, 500, y_right + 8, conf)]
    words = [Word("Comorbidities", 60, 240, 160, 250, 0.95)]
    words += line(274, "Diagnosis", 268, "ICD-10-CM")
    words += line(290, "Anemia, unspecified", 284, "D64.9")
    words += line(306, "Hypothyroidism, unspecified", 300, "503.9")
    words += line(322, "Hypo-osmolality and hyponatremia", 316, "E87.1")
    words += line(338, "Dehydration", 332, "I25.10")
    page = Page(1, 612.0, 792.0, "ocr", tuple(words), group_lines(words))
    assert len(page.lines) > 6  # the grouping did cut the rows
    doc = Document(source="x", sha256="0" * 64, pages=(page,), meta={})
    columns = [runtime.Column("description", "string", ("diagnosis",), (("diag", 1.0),), required=True),
               runtime.Column("icd10_code", "code", ("icd-10-cm", "code"), (("icd-", 1.0), ("code", 1.0)),
                              system="icd10cm", required=True)]
    found = runtime.table(doc, columns, min_columns=2)
    assert found is not None
    assert [(r["description"].value, r["icd10_code"].value) for r in found.value] == [
        ("Anemia, unspecified", "D64.9"), ("Hypo-osmolality and hyponatremia", "E87.1"), ("Dehydration", "I25.10")]


def test_keyed_diagnoses_on_a_scan_glued_keys_and_a_letter_for_a_digit():
    """`A: RO7.9 B:E78.5` as OCR read a claim's diagnosis line: the key glued to its code is
    split, the O after the chapter letter is a 0. An amount after a key (`L 165.00`) stays no
    code, and a text layer is read as printed."""
    doc = _ocr_doc([[("A:", 0.9), ("RO7.9", 0.8), ("B:E78.5", 0.9)], [("L", 0.9), ("165.00", 0.9)]])
    found = runtime.keyed_list(doc, key="pointer", value="icd10_code", kind="code", system="icd10cm")
    assert [(r["pointer"].value, r["icd10_code"].value) for r in found.value] == [("A", "R07.9"), ("B", "E78.5")]
    text = _ocr_doc([[("A:", 1.0), ("RO7.9", 1.0), ("B:E78.5", 1.0)]], source="text")
    found = runtime.keyed_list(text, key="pointer", value="icd10_code", kind="code", system="icd10cm")
    assert [(r["pointer"].value, r["icd10_code"].value) for r in found.value] == [("B", "E78.5")]


def test_a_scanned_value_with_evidence_against_it_is_doubted():
    """The field's own label was read and its value was not, so another label's value is a
    guess; a value holding a glyph no word holds (`NSTEM!`) was garbled. Both keep half their
    confidence."""
    from extractors.ocr_tolerance import misread_glyph

    assert misread_glyph("Non-ST elevation (NSTEM!) myocardial infarction", "string")
    assert not misread_glyph("Hypertension, unspecified!", "code") and not misread_glyph("Anemia, unspecified", "string")
    lines = [[("PRINCIPAL", 0.95), ("DIAGNOSIS", 0.95)], [("Myocardial", 0.9), ("infarction", 0.9), ("(1Z1.4)", 0.9)],
             [("ICD-10-CM", 0.95)], [("J45.909", 0.95)]]
    found = runtime.field(_ocr_doc(lines), kind="code", system="icd10cm", labels=["principal diagnosis"],
                          lex_labels=["icd-10-cm"], min_score=0.6, max_words=3)
    assert found is not None and found.value == "J45.909" and found.confidence < 0.5
    without_own = runtime.field(_ocr_doc(lines[2:]), kind="code", system="icd10cm", labels=["principal diagnosis"],
                                lex_labels=["icd-10-cm"], min_score=0.6, max_words=3)
    assert without_own is not None and without_own.confidence > 0.9


# ---------------------------------------------------------------- scanned discharge summaries

def _discharge(name: str):
    from pathlib import Path

    from extractors.artifacts import load_locked
    from pipeline.ingest import ingest

    root = Path(__file__).resolve().parents[1]
    ext = load_locked(root / "extractors" / "compiled", ["discharge_summary"])["discharge_summary"]
    return ext.extract(ingest(str(root / "data" / "samples" / "discharge_summary" / name)))


def test_a_scanned_dose_gets_its_space_back_and_a_number_read_as_letters_is_doubted():
    """Real Tesseract readings of real scans: a dose column prints `40 mg`; a scan that lost the
    space (`5mg`) gets it back as it is; `Smg` and `SO mg` are read as digits, and the table,
    a number read back from letters, is left for review."""
    from extractors._rt_units import DIGITS_FROM_LETTERS

    lost_space = _discharge("ds_a_07.tif")["discharge_medications"]
    doses = {r["drug"].value: r["dose"].value for r in lost_space.value}
    assert doses["Amlodipine"] == "5 mg" and lost_space.confidence > DIGITS_FROM_LETTERS
    letters = _discharge("ds_b_07.tif")["discharge_medications"]
    doses = {r["drug"].value: r["dose"].value for r in letters.value}
    assert doses["Apixaban"] == "5 mg" and doses["Sertraline"] == "50 mg"
    assert letters.confidence <= DIGITS_FROM_LETTERS


def test_a_second_column_header_of_the_label_on_a_scanned_page_heads_another_value():
    """`ICD-10` heads the principal diagnosis's code and, lower on the page, the other
    diagnoses' codes. The scan reads the first as `163.9`: under a code label that is I63.9,
    and a code under the second header is never the field's value; the two readings disagree,
    so the value goes to review."""
    found = _discharge("ds_c_07.png")["primary_diagnosis_code"]
    assert found.value == "I63.9" and found.confidence < 0.5


def _ruled_table_page(dpi: int = 200) -> np.ndarray:
    """A scanned-looking page: a ruled 3x3 table (a two-line cell in it) under a text line,
    slightly rotated, with noise; real raster for Tesseract."""
    a = np.full((1000, 1400), 250, np.uint8)
    cv2.putText(a, "Laboratory results", (80, 110), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 0, 2, cv2.LINE_AA)
    xs, ys = (80, 520, 900, 1250), (180, 270, 440, 530)
    for x in xs:
        cv2.line(a, (x, ys[0]), (x, ys[-1]), 40, 3)
    for y in ys:
        cv2.line(a, (xs[0], y), (xs[-1], y), 40, 3)
    cells = [["Test", "Value", "Unit"], ["Sodium", "135", "mmol/L"], ["Potassium", "4.1", "mmol/L"]]
    for r, row in enumerate(cells):
        for c, text in enumerate(row):
            cv2.putText(a, text, (xs[c] + 25, ys[r] + 60), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 0, 2, cv2.LINE_AA)
    cv2.putText(a, "serum", (xs[0] + 25, ys[1] + 125), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 0, 2, cv2.LINE_AA)
    m = cv2.getRotationMatrix2D((700, 500), 0.6, 1.0)
    a = cv2.warpAffine(a, m, (1400, 1000), borderValue=250)
    rng = np.random.default_rng(4)
    return np.clip(a.astype(np.int16) + rng.normal(0, 6, a.shape).astype(np.int16), 0, 255).astype(np.uint8)


def test_a_ruled_table_on_a_scan_is_read_as_a_grid_and_its_rules_are_cached(tmp_path):
    from pipeline.ingest import ingest

    path = tmp_path / "table.png"
    Image.fromarray(_ruled_table_page()).save(path, dpi=(200, 200))
    cache = tmp_path / "cache"
    first = ingest(path, cache_dir=cache, profile="clean")
    page = first.pages[0]
    assert page.source == "ocr"
    grids = [g for g in page.tables if len(g.rows) >= 3]
    assert len(grids) == 1
    rows = [[c.text for c in row if c is not None and c.words] for row in grids[0].rows]
    assert rows[0] == ["Test", "Value", "Unit"]
    assert rows[1][0] == "Sodium serum"          # the two-line cell is one cell, not two rows
    assert rows[2][:2] == ["Potassium", "4.1"]
    calls = ocr.OCR_CALLS
    again = ingest(path, cache_dir=cache, profile="clean")
    assert ocr.OCR_CALLS == calls                  # served from the cache, rules and all
    assert again.pages[0].tables == page.tables


def test_text_without_rules_makes_no_grid_on_a_scan():
    words, rules = ocr.read_image(Image.fromarray(_text_page(["Patient: Jane Doe", "Sodium 135 mmol/L",
                                                             "Potassium 4.1 mmol/L"])), 200, profile="clean")
    assert words and rules == []


