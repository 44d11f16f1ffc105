"""Scanned copies of the real-document dev set, and how much of their patient header OCR reads.

The ONC C-CDA certification samples ship vendor-rendered PDFs beside the C-CDA XML they
were printed from. For each PDF this tool

1. takes gold strings from the XML patient header (`recordTarget`): given name, family
   name, birth date (in whichever printed form the page's text layer shows) and the MRN,
   keeping only strings the PDF's text layer really prints;
2. renders the first pages with pdfium, applies seeded scan damage (`eval.corpus.damage`),
   optionally writes the damaged pages as an image PDF;
3. OCRs the damaged pages with each OCR profile and reports gold-string recall, next to the
   text layer's recall on the same pages;
4. with `--extractor FILE` (a compiled extractor for these documents, e.g. the dev set's
   `ccd_summary.py`), also runs it on the text layer and on each profile's OCR of the same
   pages and counts, per header field, values that are right, wrong and missing: OCR text
   that holds a string is not yet a value the extractor exports, and a wrong value is worse
   than a missing one.

    python -m eval.devscan --src /work/shared/devsets/onc-2015-ccda --pages 1 \
        --profiles default,clean --out reports/devscan \
        --extractor .cache/devset/extractors/ccd_summary.py

Deterministic: the damage seed is the PDF's content hash.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium

NS = {"h": "urn:hl7-org:v3"}


@dataclass
class Patient:
    given: str
    family: str
    birth: date | None
    mrns: list[str]
    xml: str


@dataclass
class DevDoc:
    pdf: Path
    gold: dict[str, str]          # field -> printed gold string
    birth: date | None = None     # the XML birth date (what an extractor should return)
    why_dropped: dict[str, str] = field(default_factory=dict)


def norm(s: str) -> str:
    """Lower case, runs of whitespace to one space: the comparison form of page text."""
    return re.sub(r"\s+", " ", s).strip().lower()


def read_patient(xml_path: Path) -> Patient | None:
    """The recordTarget patient of one C-CDA document, or None when it has none."""
    try:
        root = ET.parse(xml_path).getroot()
    except (ET.ParseError, OSError):
        return None
    role = root.find("h:recordTarget/h:patientRole", NS)
    if role is None:
        return None
    pat = role.find("h:patient", NS)
    if pat is None:
        return None
    name = pat.find("h:name", NS)
    given = family = ""
    if name is not None:
        g = name.find("h:given", NS)
        f = name.find("h:family", NS)
        given = (g.text or "").strip() if g is not None else ""
        family = (f.text or "").strip() if f is not None else ""
    birth = None
    bt = pat.find("h:birthTime", NS)
    if bt is not None and re.match(r"^\d{8}", bt.get("value", "")):
        v = bt.get("value", "")
        try:
            birth = date(int(v[:4]), int(v[4:6]), int(v[6:8]))
        except ValueError:
            birth = None
    mrns = [i.get("extension", "").strip() for i in role.findall("h:id", NS) if i.get("extension")]
    return Patient(given, family, birth, [m for m in mrns if m], str(xml_path))


def date_forms(d: date) -> list[str]:
    """Printed forms of a date, most specific first."""
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
    m = months[d.month - 1]
    return [
        f"{d.month:02d}/{d.day:02d}/{d.year}", f"{d.month}/{d.day}/{d.year}", f"{d.year}-{d.month:02d}-{d.day:02d}",
        f"{m} {d.day}, {d.year}", f"{m[:3]} {d.day}, {d.year}", f"{m[:3]} {d.day:02d}, {d.year}",
        f"{d.day} {m} {d.year}", f"{d.day:02d} {m[:3]} {d.year}", f"{d.day}/{d.month}/{d.year}",
        f"{d.month:02d}-{d.day:02d}-{d.year}", f"{d.year}{d.month:02d}{d.day:02d}",
    ]


def page_texts(pdf_bytes: bytes, pages: int | None = None) -> list[str]:
    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        n = len(doc) if pages is None else min(pages, len(doc))
        out = []
        for i in range(n):
            pg = doc[i]
            tp = pg.get_textpage()
            out.append(tp.get_text_range())
            tp.close()
            pg.close()
        return out
    finally:
        doc.close()


def gold_for(pdf: Path, candidates: list[Patient], pages: int) -> DevDoc | None:
    """Gold strings that the XML gives and the first `pages` of the text layer print."""
    data = pdf.read_bytes()
    try:
        text = norm(" ".join(page_texts(data, pages)))
    except pdfium.PdfiumError:
        return None
    best = None
    for p in candidates:
        if p.family and p.given and norm(p.family) in text and norm(p.given) in text:
            best = p
            break
    if best is None:
        return None
    doc = DevDoc(pdf, {}, birth=best.birth)
    doc.gold["given"] = best.given
    doc.gold["family"] = best.family
    if best.birth:
        for form in date_forms(best.birth):
            if norm(form) in text:
                doc.gold["birth_date"] = form
                break
        else:
            doc.why_dropped["birth_date"] = "no printed form of the XML birth date on these pages"
    for mrn in best.mrns:
        if len(mrn) >= 4 and norm(mrn) in text:
            doc.gold["mrn"] = mrn
            break
    else:
        doc.why_dropped["mrn"] = "no XML patient id printed on these pages"
    return doc


def find_devdocs(src: Path, pages: int) -> list[DevDoc]:
    """Every vendor PDF that prints a C-CDA patient found in XML beside it (same or parent folders)."""
    out = []
    for pdf in sorted(src.rglob("*.pdf")):
        cands: list[Patient] = []
        seen = set()
        for folder in [pdf.parent, pdf.parent.parent, pdf.parent.parent.parent]:
            for x in sorted(folder.rglob("*")):
                if x.suffix.lower() == ".xml" and x not in seen:
                    seen.add(x)
                    p = read_patient(x)
                    if p is not None:
                        cands.append(p)
            if cands:
                break
        doc = gold_for(pdf, cands, pages)
        if doc is not None:
            out.append(doc)
    return out


def scan_pages(pdf: Path, pages: int, dpi: int = 300) -> list:
    """Render the first pages at `dpi` and damage them; seeded by the file's hash."""
    from eval.corpus.damage import damage

    data = pdf.read_bytes()
    seed = int.from_bytes(hashlib.sha256(data).digest()[:8], "big")
    r = random.Random(seed)
    rng = np.random.default_rng(seed)
    doc = pdfium.PdfDocument(data)
    out = []
    try:
        for i in range(min(pages, len(doc))):
            pg = doc[i]
            img = pg.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            pg.close()
            dmg, _steps = damage(img, dpi, r, rng)
            out.append(dmg)
    finally:
        doc.close()
    return out


def recall(gold: dict[str, str], text: str) -> dict[str, bool]:
    t = norm(text)
    return {k: norm(v) in t for k, v in gold.items()}


# header fields an extractor returns, and the gold strings they are judged against
EXTRACTED = ("patient_name", "birth_date", "mrn")


def load_extractor(path: Path):
    """The `extract(doc)` function of a compiled extractor file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"devscan_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.extract


def judge(d: DevDoc, found: dict) -> dict[str, str]:
    """Per header field with gold: 'right', 'wrong' or 'missing' for an extractor's output."""
    out: dict[str, str] = {}
    gold: dict[str, object] = {}
    if "given" in d.gold and "family" in d.gold:
        gold["patient_name"] = (norm(d.gold["given"]), norm(d.gold["family"]))
    if "birth_date" in d.gold and d.birth is not None:
        gold["birth_date"] = d.birth.isoformat()
    if "mrn" in d.gold:
        gold["mrn"] = norm(d.gold["mrn"])
    for k, g in gold.items():
        f = found.get(k)
        if f is None or getattr(f, "value", None) in (None, ""):
            out[k] = "missing"
            continue
        v = str(f.value)
        if k == "patient_name":
            toks = set(re.findall(r"[\w'-]+", norm(v)))
            ok = all(part in toks for part in g)  # type: ignore[union-attr]
        elif k == "birth_date":
            ok = v[:10] == g
        else:
            ok = norm(v) == g
        out[k] = "right" if ok else "wrong"
    return out


def _ocr_document(pdf: Path, imgs: list, words_per_page: list, dpi: int):
    from pipeline.document import Document, Page, group_lines

    pages = []
    for i, (img, words) in enumerate(zip(imgs, words_per_page)):
        w, h = img.size
        pages.append(Page(i + 1, round(w * 72 / dpi, 2), round(h * 72 / dpi, 2), "ocr", tuple(words),
                          group_lines(words)))
    return Document(source=str(pdf), sha256="0" * 64, pages=tuple(pages), meta={})


def _text_document(pdf: Path, pages: int):
    import dataclasses

    from pipeline.ingest.single import ingest

    doc = ingest(pdf, cache_dir=None)
    return dataclasses.replace(doc, pages=doc.pages[:pages])


def _tally(acc: dict, verdicts: dict[str, str]) -> None:
    for k, v in verdicts.items():
        acc.setdefault(k, {"right": 0, "wrong": 0, "missing": 0})[v] += 1


def _extraction_summary(acc: dict) -> dict:
    out = {}
    tot = {"right": 0, "wrong": 0, "missing": 0}
    for k in sorted(acc):
        c = acc[k]
        for x in tot:
            tot[x] += c[x]
        out[k] = dict(c)
    n = sum(tot.values())
    out["all"] = dict(tot, recall=round(tot["right"] / n, 4) if n else None,
                      precision=round(tot["right"] / (tot["right"] + tot["wrong"]), 4)
                      if tot["right"] + tot["wrong"] else None)
    return out


def measure(docs: list[DevDoc], profiles: list[str], pages: int, dpi: int, out: Path | None,
            extractor: Path | None = None) -> dict:
    from pipeline.ingest import ocr as _ocr

    extract = load_extractor(extractor) if extractor is not None else None
    per_profile: dict[str, dict] = {p: {"hits": 0, "n": 0, "seconds": 0.0, "pages": 0, "fields": {}, "extracted": {}}
                                    for p in profiles}
    text_extracted: dict = {}
    text_hits = text_n = 0
    rows = []
    for d in docs:
        data = d.pdf.read_bytes()
        tl = " ".join(page_texts(data, pages))
        rt = recall(d.gold, tl)
        text_hits += sum(rt.values())
        text_n += len(rt)
        imgs = scan_pages(d.pdf, pages, dpi)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            stem = hashlib.sha256(str(d.pdf).encode()).hexdigest()[:10]
            imgs[0].save(out / f"{stem}.pdf", save_all=True, append_images=imgs[1:], resolution=dpi)
        row = {"pdf": str(d.pdf), "fields": sorted(d.gold), "text": rt}
        if extract is not None:
            verdict = judge(d, extract(_text_document(d.pdf, pages)))
            _tally(text_extracted, verdict)
            row["text_extracted"] = verdict
        for prof in profiles:
            t0 = time.perf_counter()
            per_page = [_ocr.ocr_image(img, dpi, profile=prof) for img in imgs]
            words = [w for ws in per_page for w in ws]
            sec = time.perf_counter() - t0
            ro = recall(d.gold, " ".join(w.text for w in words))
            acc = per_profile[prof]
            acc["hits"] += sum(ro.values())
            acc["n"] += len(ro)
            acc["seconds"] += sec
            acc["pages"] += len(imgs)
            for k, ok in ro.items():
                f = acc["fields"].setdefault(k, [0, 0])
                f[0] += ok
                f[1] += 1
            row[prof] = ro
            if extract is not None:
                verdict = judge(d, extract(_ocr_document(d.pdf, imgs, per_page, dpi)))
                _tally(acc["extracted"], verdict)
                row[f"{prof}_extracted"] = verdict
        rows.append(row)
        print(f"[{len(rows)}/{len(docs)}] " + " ".join(f"{p}={sum(row[p].values())}/{len(d.gold)}" for p in profiles),
              file=sys.stderr, flush=True)
    summary = {
        "documents": len(docs),
        "pages_per_document": pages,
        "dpi": dpi,
        "text_layer_recall": round(text_hits / text_n, 4) if text_n else None,
        "profiles": {
            p: {"recall": round(a["hits"] / a["n"], 4) if a["n"] else None,
                "seconds_per_page": round(a["seconds"] / a["pages"], 3) if a["pages"] else None,
                "fields": {k: round(h / n, 4) for k, (h, n) in sorted(a["fields"].items())}}
            for p, a in per_profile.items()
        },
    }
    if extract is not None:
        summary["extractor"] = str(extractor)
        summary["text_layer_extracted"] = _extraction_summary(text_extracted)
        for p, a in per_profile.items():
            summary["profiles"][p]["extracted"] = _extraction_summary(a["extracted"])
    return {"summary": summary, "documents": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.devscan", description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", type=Path, default=Path("/work/shared/devsets/onc-2015-ccda"))
    ap.add_argument("--pages", type=int, default=1, help="pages per document to scan and OCR")
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--profiles", default="default,clean", help="comma-separated OCR profile names")
    ap.add_argument("--limit", type=int, help="at most N documents")
    ap.add_argument("--scans", type=Path, help="also write the damaged pages as image PDFs here")
    ap.add_argument("--out", type=Path, help="write devscan.json here")
    ap.add_argument("--extractor", type=Path,
                    help="a compiled extractor file: also count right/wrong/missing header values it extracts")
    a = ap.parse_args(argv)
    docs = find_devdocs(a.src, a.pages)
    if a.limit:
        docs = docs[: a.limit]
    res = measure(docs, [p for p in a.profiles.split(",") if p], a.pages, a.dpi, a.scans, a.extractor)
    print(json.dumps(res["summary"], indent=2))
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "devscan.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
