"""Build the real-document dev set from the ONC 2015 C-CDA certification samples.

Sources, each paired with the C-CDA XML that holds its gold:
- vendor-rendered PDFs (the XML beside it: same stem, or the only XML in its folder);
- vendor HTML views, printed to PDF with headless Chromium (paired the same way);
- C-CDA XML rendered with the CDA stylesheet shipped in the set (lxml XSLT) and printed with
  Chromium: each product's narrative tables are its own layout.
Gold comes from the XML's structured entries, each tied to the narrative row that prints it
(`eval.devset.ccda`), and is cross-checked against the PDF's text layer: cells are written as the
page prints them (`Page.printed`); a value the page does not print is dropped (a table row whose
name or value is not printed is dropped whole) and the reason goes to `manifest.json`
(`dropped`). A table with a dropped entry that the page still shows in some form is listed in
the document's `incomplete_tables`: its golden file keeps the labeled rows (the samples contract
has no "unlabeled" marker), and `eval.devset.summary --manifest` scores tables over complete gold
only. Documents are split by layout (vendor product and rendering): a few layouts to compile on,
all others to score on.

Output (samples contract, `docs/eval.md`): OUT/compile/ccd_summary/, OUT/score/ccd_summary/,
each with schema.yaml, <id>.pdf, <id>.json; OUT/layouts/<layout>/ccd_summary/ (the score
documents again, one root per layout); OUT/manifest.json.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from eval.devset.ccda import Gold, read_gold
from eval.devset.narrative import printed_value_unit

log = logging.getLogger(__name__)

DOC_TYPE = "ccd_summary"
SCHEMA_YAML = """doc_type: ccd_summary
description: Patient summary (C-CDA) as printed by an EHR or patient portal
fields:
  patient_name: {type: person_name, required: true}
  birth_date: {type: date, required: true}
  sex: {type: string}
  mrn: {type: identifier}
  results:
    type: table
    columns:
      test_name: {type: string}
      value: {type: string}
      unit: {type: string}
  vital_signs:
    type: table
    columns:
      vital: {type: string}
      value: {type: string}
      unit: {type: string}
  medications:
    type: table
    columns:
      medication: {type: string}
  problems:
    type: table
    columns:
      problem: {type: string}
"""
# Layouts compiled on (product folder name contains one of these): two vendor PDF renderings.
COMPILE_LAYOUTS = ("Allscripts Sunrise/pdf", "Sophrona Solutions/pdf")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-pdf-header-footer")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


@dataclass(frozen=True)
class Source:
    """One printable document and the XML that holds its gold."""

    path: Path          # .pdf, .html or .xml
    xml: Path
    kind: str           # pdf | html | xsl
    product: str        # lab/ETT/vendor-product folder

    @property
    def layout(self) -> str:
        vendor = re.sub(r"^Drummond\s*Group\s*-\s*", "", self.product.split("/")[-1]).strip()
        return f"{vendor}/{self.kind}"


# ---------------------------------------------------------------- discovery


def _product(rel: Path) -> str:
    return "/".join(rel.parts[:3])


def _pair_xml(doc: Path) -> Path | None:
    xmls = sorted(p for p in doc.parent.iterdir() if p.suffix.lower() == ".xml")
    same = [p for p in xmls if p.stem.casefold() == doc.stem.casefold()]
    if same:
        return same[0]
    return xmls[0] if len(xmls) == 1 else None


def discover(root: Path, xsl_per_product: int) -> list[Source]:
    """Every pairable PDF and HTML view, and up to `xsl_per_product` XMLs per product to render."""
    out: list[Source] = []
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        kind = {".pdf": "pdf", ".html": "html", ".htm": "html"}.get(p.suffix.lower())
        if kind:
            xml = _pair_xml(p)
            if xml is not None:
                out.append(Source(p, xml, kind, _product(p.relative_to(root))))
    if xsl_per_product:
        by_product: dict[str, list[tuple[int, Path]]] = {}
        for p in sorted(root.rglob("*")):
            if p.is_file() and p.suffix.lower() == ".xml":
                try:
                    g = read_gold(p.read_bytes())
                except Exception:  # noqa: BLE001 - not C-CDA or not well-formed: not a candidate
                    continue
                if not g.patient_name:
                    continue
                richness = g.richness
                by_product.setdefault(_product(p.relative_to(root)), []).append((richness, p))
        for product, cands in sorted(by_product.items()):
            cands.sort(key=lambda c: (-c[0], str(c[1])))
            for _, p in cands[:xsl_per_product]:
                out.append(Source(p, p, "xsl", product))
    return out


# ---------------------------------------------------------------- rendering


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise RuntimeError("Chromium not found (make test-system-deps installs it)")


def print_pdf(html: Path, out_pdf: Path, timeout: float = 120) -> None:
    """Print a local HTML file to PDF with headless Chromium (fresh profile, no network)."""
    with tempfile.TemporaryDirectory(prefix="docc-chromium-") as profile:
        cmd = [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--print-to-pdf={out_pdf}", html.resolve().as_uri()]
        subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
    if not out_pdf.exists() or out_pdf.stat().st_size == 0:
        raise RuntimeError(f"Chromium printed nothing for {html.name}")


def render_xsl(xml: Path, stylesheet: Path, out_html: Path) -> None:
    from lxml import etree  # a dependency of the report stack; only the builder needs XSLT

    transform = etree.XSLT(etree.parse(str(stylesheet)))
    doc = etree.parse(str(xml), etree.XMLParser(resolve_entities=False, no_network=True))
    out_html.write_bytes(etree.tostring(transform(doc), method="html", encoding="utf-8"))


def page_text(pdf: Path) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


# ---------------------------------------------------------------- cross-check


def _compact(s: str) -> str:
    return re.sub(r"\s+", "", s).casefold()


class Page:
    """The page text, searchable tolerant of line breaks inside a value."""

    def __init__(self, text: str):
        self.text = text
        self.norm = " ".join(text.split())
        self.flat = self.norm.casefold()
        chars: list[str] = []
        self._pos: list[int] = []  # compact character -> its offset in `text`
        for i, ch in enumerate(text):
            if not ch.isspace():
                for c in ch.casefold():
                    chars.append(c)
                    self._pos.append(i)
        self.compact = "".join(chars)
        self.lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]

    def unit_after(self, name: str, value: str, unit: str) -> str | None:
        """The word printed right after `value` on a line naming `name`, when it holds `unit`
        (UCUM `/min` printed `beats/min`)."""
        for i, line in enumerate(self.lines):
            if name.casefold() not in line.casefold():
                continue
            for ln in self.lines[i:i + 3]:
                m = re.search(rf"(?<![\w.]){re.escape(value)}\s+(\S+)", ln)
                if m and unit.casefold() in m.group(1).casefold():
                    return m.group(1)
        return None

    def _exact_case(self, s: str) -> int:
        """Compact offset of `s` printed in its own case, or -1."""
        want = re.sub(r"\s+", "", s)
        k = self.compact.find(want.casefold())
        while k >= 0:
            got = "".join(ch for ch in self.text[self._pos[k]:self._pos[k + len(want) - 1] + 1] if not ch.isspace())
            if got == want:
                return k
            k = self.compact.find(want.casefold(), k + 1)
        return -1

    def has(self, s: str | None) -> bool:
        return self.printed(s) is not None

    def printed(self, s: str | None) -> str | None:
        """`s` as the page prints it (its case and spacing: `FenoFibric Acid 35 mg` printed
        `FenoFibric Acid 35mg`), or None. Long strings match ignoring whitespace; a line break
        inside the match keeps the spacing `s` has there (a wrapped name is one printed string);
        short ones must be whole words."""
        if not s:
            return None
        cs = _compact(s)
        if len(cs) < 5:  # the same case first (`g/dL` where `g/dl` is also printed)
            pat = rf"(?<![\w.]){re.escape(' '.join(s.split()))}(?![\w])"
            m = re.search(pat, self.norm) or re.search(pat, self.norm, re.I)
            return m.group(0) if m else None
        k = self._exact_case(s)
        if k < 0:
            k = self.compact.find(cs)
        if k < 0:
            return None
        gaps: set[int] = set()  # compact offsets in `s` preceded by whitespace
        n, space = 0, False
        for ch in s:
            if ch.isspace():
                space = True
                continue
            if space and n:
                gaps.add(n)
            space = False
            n += len(ch.casefold())
        out: list[str] = []
        n, ws = 0, ""
        for ch in self.text[self._pos[k]:self._pos[k + len(cs) - 1] + 1]:
            if ch.isspace():
                ws += ch
                continue
            if ws and (n in gaps or not ("\n" in ws or "\r" in ws)):
                out.append(" ")
            ws = ""
            out.append(ch)
            n += len(ch.casefold())
        return "".join(out)


def _number_variants(value: str) -> list[str]:
    out = [value]
    try:
        f = float(value)
    except ValueError:
        return out
    if f == int(f):
        out += [str(int(f)), f"{int(f)}.0"]
    return out


def _date_variants(d: date) -> list[str]:
    m = MONTHS[d.month - 1]
    return [d.isoformat(), f"{d.month:02d}/{d.day:02d}/{d.year}", f"{d.month}/{d.day}/{d.year}",
            f"{m} {d.day}, {d.year}", f"{m} {d.day:02d}, {d.year}", f"{d.day:02d}-{m[:3]}-{d.year}",
            f"{d.day}-{m[:3]}-{d.year}", f"{m[:3]} {d.day}, {d.year}", f"{m[:3]} {d.day:02d}, {d.year}",
            f"{d.day} {m} {d.year}", f"{d.day:02d} {m[:3]} {d.year}", f"{d.year}{d.month:02d}{d.day:02d}"]


def _name(g: Gold, page: Page, notes: list[str]) -> str | None:
    """The patient name as far as one printed line shows its parts (order does not matter)."""
    if not g.family or not g.given:
        return None
    fam, first = g.family.casefold(), g.given[0].casefold()
    for line in page.lines:
        words = {w.strip(",.").casefold() for w in line.split()}
        if fam in words and first in words:
            suffix = (g.patient_name or "").split()[len(g.given) + 1:]
            parts = [p for p in [*g.given, g.family, *suffix] if p.strip(",.").casefold() in words]
            if parts != [*g.given, g.family, *suffix]:
                notes.append("patient_name: printed without some name parts")
            return " ".join(parts)
    notes.append("patient_name: given and family name not printed on one line")
    return None


def _names(r: dict) -> list[str]:
    """Names to try, in order: the entry's coded names (the clean name where the page prints it,
    `Overweight` in a cell `Overweight(278.02)`), then the narrative row that prints the entry
    (`Weight` where `Patient Body Weight - Measured` is not printed)."""
    narr = r.get("narrative") or {}
    name = narr.get("name")
    if not name:
        return list(r["names"])
    if narr.get("pair"):  # `145/88` printed under the row's own name only
        return [name]
    return list(r["names"]) + ([name] if name not in r["names"] else [])


def _printed_somewhere(r: dict, page: Page) -> bool:
    """Whether the page shows the entry in some form (a name, its narrative row, its value, a code)."""
    narr = r.get("narrative") or {}
    texts = [*r["names"], narr.get("name"), narr.get("cell")]
    if "value" in r:
        texts.append(r["value"])
    texts += [c for c in r.get("codes", []) if len(c) >= 4]  # `[ICD9: 780.60]` beside another name
    return any(page.has(t) for t in texts if t)


def _printed_cell(narr: dict, r: dict, page: Page) -> tuple[str, str | None] | None:
    """(value, unit) as the page prints the entry's narrative value cell, or None."""
    if not narr.get("value"):
        return None
    printed = page.printed(narr["cell"])
    if printed is not None:
        if narr.get("pair"):
            m = re.match(r"^(\S+/\S+)\s*(.*)$", printed)
            if m:
                return m.group(1), m.group(2) or None
        elif (split := printed_value_unit(printed, r["value"], r.get("unit"))) is not None:
            return split
    if page.has(narr["value"]) and (not narr.get("unit") or page.has(narr["unit"])):
        return page.printed(narr["value"]), page.printed(narr.get("unit"))
    return None


def _rows(kind: str, rows: list[dict], page: Page, cols: tuple[str, ...], notes: list[str],
          incomplete: list[str] | None = None) -> list[dict]:
    """Gold rows as printed; a row that cannot be labeled is dropped and noted, and when the page
    still shows that entry in some form the table is named in `incomplete`."""
    out: list[dict] = []
    unlabeled = 0
    for i, r in enumerate(rows):
        if r.get("merged"):  # printed inside another entry's row (`145/88`)
            continue
        narr = r.get("narrative") or {}
        name = next((p for n in _names(r) if (p := page.printed(n))), None)
        if name is None:
            notes.append(f"{kind}[{i}]: name not printed")
            unlabeled += _printed_somewhere(r, page)
            continue
        row = {cols[0]: name}
        if "value" in cols:
            value, unit = None, r.get("unit")
            cell = _printed_cell(narr, r, page)
            if cell is not None:
                # the value cell as printed: `80 beats per minute`, `145/88`, `50mg/dl`, `88` (no unit)
                value, unit = cell
                if unit is None and narr.get("unit") and not narr.get("pair") and page.has(narr["unit"]):
                    unit = page.printed(narr["unit"])  # a unit column beside the value cell
                elif unit is None and r.get("unit") and not narr.get("pair"):
                    unit = page.unit_after(name, value, r["unit"])
            else:  # no narrative value cell (or not printed as the narrative has it): the entry's value
                value = next((page.printed(v) for v in _number_variants(r["value"]) if page.has(v)), None)
                if value is None:
                    notes.append(f"{kind}[{i}]: value not printed")
                    unlabeled += _printed_somewhere(r, page)
                    continue
                if unit and page.has(unit):
                    unit = page.printed(unit)
                elif unit:
                    printed = page.unit_after(name, value, unit)
                    if printed is None:
                        notes.append(f"{kind}[{i}]: unit not printed")
                        unlabeled += 1
                        continue
                    notes.append(f"{kind}[{i}]: unit {unit!r} printed as {printed!r}")
                    unit = printed
            row["value"] = value
            row["unit"] = unit
        if row not in out:  # the same entry listed twice prints once
            out.append(row)
    if unlabeled and incomplete is not None:
        incomplete.append(kind)
    return out


def gold_for(g: Gold, page: Page, incomplete: list[str] | None = None) -> tuple[dict, list[str]]:
    """Gold fields as the page prints them, the notes on what was dropped, and (into
    `incomplete`) the tables with an entry the page shows but that could not be labeled."""
    notes: list[str] = []
    fields: dict = {"patient_name": _name(g, page, notes)}
    birth = None
    if g.birth_date:
        if any(page.has(v) for v in _date_variants(g.birth_date)):
            birth = g.birth_date.isoformat()
        else:
            notes.append("birth_date: not printed in a known date form")
    fields["birth_date"] = birth
    fields["sex"] = g.sex if g.sex and page.has(g.sex) else None
    if g.sex and fields["sex"] is None:
        notes.append("sex: not printed as a word")
    # an MRN has a digit ("UNK", "AliceN" are placeholders some test documents carry)
    fields["mrn"] = next((i for i in g.ids if len(i) >= 3 and any(c.isdigit() for c in i) and page.has(i)), None)
    fields["results"] = _rows("results", g.results, page, ("test_name", "value", "unit"), notes, incomplete)
    fields["vital_signs"] = _rows("vital_signs", g.vitals, page, ("vital", "value", "unit"), notes, incomplete)
    fields["medications"] = _rows("medications", g.medications, page, ("medication",), notes, incomplete)
    fields["problems"] = _rows("problems", g.problems, page, ("problem",), notes, incomplete)
    return fields, notes


# ---------------------------------------------------------------- build


def _slug(layout: str) -> str:
    """`Vendor Product/kind` -> `vendor_product_kind`, the vendor part cut to 32 characters."""
    vendor, _, kind = layout.rpartition("/")
    return re.sub(r"[^a-z0-9]+", "_", vendor.casefold()).strip("_")[:32].rstrip("_") + "_" + kind


def _doc_id(src: Source, root: Path) -> str:
    slug = _slug(src.layout)
    digest = hashlib.sha256(str(src.path.relative_to(root)).encode()).hexdigest()[:8]
    return f"{slug}_{digest}"


def _stylesheet(root: Path) -> Path:
    """The CDA stylesheet shipped in the set (the most common copy, first by path on ties)."""
    copies: dict[str, list[Path]] = {}
    for p in sorted(root.rglob("CDA.xsl")):
        copies.setdefault(hashlib.sha256(p.read_bytes()).hexdigest(), []).append(p)
    if not copies:
        raise RuntimeError("no CDA.xsl in the dev set source")
    return max(copies.values(), key=lambda ps: (len(ps), [-ord(c) for c in str(ps[0])]))[0]


def build(root: Path, out: Path, xsl_per_product: int = 1, kinds: tuple[str, ...] = ("pdf", "html", "xsl")) -> dict:
    """Write the dev set under `out`; returns the manifest."""
    sources = [s for s in discover(root, xsl_per_product if "xsl" in kinds else 0) if s.kind in kinds]
    stylesheet = _stylesheet(root) if any(s.kind == "xsl" for s in sources) else None
    for stale in ("compile", "score", "layouts"):
        if (out / stale).exists():
            shutil.rmtree(out / stale)
    for split in ("compile", "score"):
        d = out / split / DOC_TYPE
        d.mkdir(parents=True)
        (d / "schema.yaml").write_text(SCHEMA_YAML)
    manifest: dict = {"source": str(root), "doc_type": DOC_TYPE, "compile_layouts": list(COMPILE_LAYOUTS),
                      "documents": [], "skipped": []}
    seen_pdf: set[str] = set()
    renders = out / "renders"  # Chromium output, kept between builds (keyed by source bytes)
    renders.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="docc-devset-") as tmp:
        for src in sources:
            rel = str(src.path.relative_to(root))
            try:
                g = read_gold(src.xml.read_bytes())
            except Exception as exc:  # noqa: BLE001 - recorded, not fatal
                manifest["skipped"].append({"source": rel, "reason": f"xml: {type(exc).__name__}"})
                continue
            doc_id = _doc_id(src, root)
            pdf = Path(tmp) / f"{doc_id}.pdf"
            cached = renders / f"{hashlib.sha256(src.path.read_bytes()).hexdigest()[:16]}-{src.kind}.pdf"
            try:
                if src.kind == "pdf":
                    shutil.copyfile(src.path, pdf)
                elif cached.exists():
                    shutil.copyfile(cached, pdf)
                elif src.kind == "html":
                    print_pdf(src.path, pdf)
                else:
                    html = Path(tmp) / f"{doc_id}.html"
                    render_xsl(src.xml, stylesheet, html)
                    print_pdf(html, pdf)
                if src.kind != "pdf" and not cached.exists():
                    shutil.copyfile(pdf, cached)
                text = page_text(pdf)
            except Exception as exc:  # noqa: BLE001 - recorded, not fatal
                manifest["skipped"].append({"source": rel, "reason": f"render: {type(exc).__name__}"})
                continue
            digest = hashlib.sha256(_compact(text).encode()).hexdigest()
            if digest in seen_pdf:
                manifest["skipped"].append({"source": rel, "reason": "same printed text as an earlier document"})
                continue
            seen_pdf.add(digest)
            incomplete: list[str] = []
            fields, notes = gold_for(g, Page(text), incomplete)
            if not fields["patient_name"] or len(_compact(text)) < 200:
                manifest["skipped"].append({"source": rel, "reason": "patient name not printed or no text layer"})
                continue
            split = "compile" if src.layout in COMPILE_LAYOUTS else "score"
            d = out / split / DOC_TYPE
            shutil.copyfile(pdf, d / f"{doc_id}.pdf")
            (d / f"{doc_id}.json").write_text(json.dumps(fields, indent=2, ensure_ascii=False) + "\n")
            if split == "score":  # one more copy per layout, so `docc eval` reports each layout
                ld = out / "layouts" / _slug(src.layout) / DOC_TYPE
                if not ld.exists():
                    ld.mkdir(parents=True)
                    (ld / "schema.yaml").write_text(SCHEMA_YAML)
                shutil.copyfile(pdf, ld / f"{doc_id}.pdf")
                shutil.copyfile(d / f"{doc_id}.json", ld / f"{doc_id}.json")
            manifest["documents"].append({"id": doc_id, "source": rel, "xml": str(src.xml.relative_to(root)),
                                          "kind": src.kind, "layout": src.layout, "split": split,
                                          "dropped": notes, "incomplete_tables": incomplete})
    manifest["counts"] = {s: sum(1 for d in manifest["documents"] if d["split"] == s) for s in ("compile", "score")}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def layouts(out: Path) -> dict[str, str]:
    """doc id -> layout, from a built dev set's manifest (for per-layout reports)."""
    m = json.loads((out / "manifest.json").read_text())
    return {d["id"]: d["layout"] for d in m["documents"]}
