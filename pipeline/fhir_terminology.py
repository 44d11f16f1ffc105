"""Terminology tables for the FHIR mapper: printed names to codes (lab names to LOINC, units to
UCUM, ...), read from `fhir/terminology/` (format in docs/fhir.md)."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


from pipeline.fhir_common import MappingError

# ----------------------------------------------------------------------------- terminology

@dataclass(frozen=True)
class Concept:
    system: str
    code: str
    display: str | None


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text).casefold()).split())


def _codekey(text: str) -> str:
    return re.sub(r"[\s.\-]", "", str(text)).upper()


class Terminology:
    """Short system names -> URIs, and the lookup tables of `fhir/terminology/`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.systems: dict[str, dict] = yaml.safe_load((folder / "systems.yaml").read_text(encoding="utf-8")) or {}
        self._tables: dict[str, list[tuple[str, str | None, list[str]]]] = {}
        self._indexes: dict[str, dict] = {}
        self._cache: dict[tuple[str, str], Concept | None] = {}

    def uri(self, name: str | None) -> str | None:
        if name is None:
            return None
        spec = self.systems.get(name)
        if spec is None:
            if ":" in name:  # already a URI
                return name
            raise MappingError(f"unknown system {name!r} (add it to fhir/terminology/systems.yaml)")
        return spec["uri"]

    def _table(self, name: str) -> list[tuple[str, str | None, list[str]]]:
        if name not in self._tables:
            spec = self.systems.get(name) or {}
            rows: list[tuple[str, str | None, list[str]]] = []
            if spec.get("table"):
                with open(self.folder / spec["table"], newline="", encoding="utf-8") as fh:
                    for row in csv.DictReader(fh):
                        syn = [s.strip() for s in (row.get("synonyms") or "").split("|") if s.strip()]
                        rows.append((row["code"].strip(), (row.get("display") or "").strip() or None, syn))
            self._tables[name] = rows
        return self._tables[name]

    def _index(self, name: str) -> dict:
        """Per-table lookup indexes, built once."""
        if name not in self._indexes:
            rows = self._table(name)
            codes, words, units, units_ci = {}, {}, {}, {}
            for c, d, syn in rows:
                codes.setdefault(_codekey(c), (c, d))
                for s_ in syn:
                    codes.setdefault(_codekey(s_), (c, d))
                for cand in [c, d or "", *syn]:
                    if cand:
                        words.setdefault(_words(cand), (c, d))
                        units.setdefault(cand, (c, d))
                        units_ci.setdefault(cand.casefold(), (c, d))
            prefixes = sorted(((w, hit) for w, hit in words.items() if w), key=lambda x: -len(x[0]))
            self._indexes[name] = {"code": codes, "words": words, "unit": units, "unit_ci": units_ci,
                                   "prefix": prefixes}
        return self._indexes[name]

    def lookup(self, name: str, value: Any) -> Concept | None:
        """The concept a printed value stands for in system `name`, or None."""
        if value is None or str(value).strip() == "":
            return None
        key = (name, str(value).strip())
        if key not in self._cache:
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[key] = self._lookup(name, key[1])
        return self._cache[key]

    def _lookup(self, name: str, text: str) -> Concept | None:
        spec = self.systems.get(name)
        if spec is None:
            raise MappingError(f"unknown lookup system {name!r}")
        uri, how = spec["uri"], spec.get("match", "name")
        idx = self._index(name)
        hit: tuple[str, str | None] | None = None
        if how == "code":
            hit = idx["code"].get(_codekey(text))
        elif how == "unit":
            hit = idx["unit"].get(text) or idx["unit_ci"].get(text.casefold())
        elif how in ("name", "prefix"):
            w = _words(text)
            hit = idx["words"].get(w)
            if hit is None and how == "prefix":
                for cw, cand in idx["prefix"]:  # longest first
                    if w.startswith(cw + " ") and w[len(cw) + 1:][:1].isdigit():
                        hit = cand
                        break
        else:
            raise MappingError(f"system {name!r}: unknown match mode {how!r}")
        if hit:
            return Concept(uri, hit[0], hit[1])
        pattern = spec.get("code_pattern")
        if pattern and re.match(pattern, text):
            return Concept(uri, text, None)
        return None
