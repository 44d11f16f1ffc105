"""The mapping interpreter: one extracted document's fields in, its FHIR R4 resources out
(`_Builder`); `pipeline.fhir_assemble` wraps them into the validated transaction Bundle
(`build_bundle`). See `pipeline.fhir_bundle` for the rules both keep."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote


from extractors.values import number as _number, present as _present


from pipeline.fhir_common import BuildError, IDENTIFIER_TYPES, MappingError, NAMESPACE, SOURCE_KEYS, V2_0203
from pipeline.fhir_terminology import Concept, Terminology
from pipeline.fhir_mapping import Mapping, ResourceSpec
from pipeline.fhir_values import _BOUND, _COMPARATOR, _RANGE, _VALUE, _cell, _json_number, human_name, slug

# ----------------------------------------------------------------------------- the interpreter

def _where(spec: dict) -> str:
    """Names the field (never its value) for error messages."""
    if "field" in spec and "column" in spec:
        return f"{spec['field']}.{spec['column']}"
    return str(spec.get("field") or spec.get("column") or "value")


def _bad(spec: dict, what: str) -> None:
    raise BuildError(f"{_where(spec)}: not {what}")


@dataclass
class _Instance:
    spec: ResourceSpec
    row: int | None
    full_url: str
    ident: list[dict]
    key_identifier: dict
    alias_of: str | None = None   # full_url of an earlier entry with the same business key
    match: str | None = None      # conditional-create query when there is no business identifier


@dataclass
class _Ctx:
    fields: dict
    row: dict | None = None
    row_index: int | None = None
    table: str | None = None


class _Builder:
    def __init__(self, result: dict, mapping: Mapping, term: Terminology) -> None:
        self.result = result
        self.mapping = mapping
        self.term = term
        self.sha = result["sha256"]
        self.fields: dict = result.get("fields") or {}
        self.instances: dict[str, list[_Instance]] = {}

    # ------------------------------------------------------------- field access
    def field_value(self, name: str) -> Any:
        return _cell(self.fields.get(name))

    def rows(self, table: str) -> list[dict]:
        value = self.field_value(table)
        if not isinstance(value, list):
            return []
        return [r if isinstance(r, dict) else {} for r in value]

    def source(self, spec: dict, ctx: _Ctx) -> Any:
        if "const" in spec:
            return spec["const"]
        if "field" in spec:
            value = self.field_value(spec["field"])
            if "column" in spec:  # a table column outside a row: all its values (reduced in `value`)
                return [_cell(r.get(spec["column"])) for r in self.rows(spec["field"])]
            return value
        if "column" in spec:
            if ctx.row is None:
                raise MappingError(f"'column: {spec['column']}' used outside for_each")
            return _cell(ctx.row.get(spec["column"]))
        if "join" in spec:
            parts = [self.value(p, ctx) for p in spec["join"]]
            if spec.get("all") and not all(_present(p) for p in parts):
                return None
            parts = [str(p) for p in parts if _present(p)]
            return spec.get("sep", " ").join(parts) if parts else None
        return None

    # ------------------------------------------------------------- spec evaluation
    def value(self, spec: Any, ctx: _Ctx) -> Any:
        """Evaluate one mapping node: constant, source spec, nested element or list."""
        if isinstance(spec, list):
            out: list = []
            for item in spec:
                v = self.value(item, ctx)
                if isinstance(item, dict) and "for_each" in item and isinstance(v, list):
                    out.extend(v)
                elif isinstance(v, list) and isinstance(item, dict) and "ref" in item:
                    out.extend(v)
                elif _present(v):
                    out.append(v)
            return out or None
        if not isinstance(spec, dict):
            return spec
        if not self._condition(spec):
            return None
        if "for_each" in spec:
            out = []
            for i, row in enumerate(self.rows(spec["for_each"])):
                sub = _Ctx(self.fields, row, i, spec["for_each"])
                if spec.get("when") and not any(_present(_cell(row.get(c))) for c in spec["when"]):
                    continue
                v = self.value(spec.get("elements") or {}, sub)
                if _present(v):
                    out.append(v)
            return out or None
        if "ref" in spec:
            return self.reference(spec["ref"], ctx)
        if "first" in spec:
            for alt in spec["first"]:
                v = self.value(alt, ctx)
                if _present(v):
                    return v
            return None
        if "field" in spec and "column" in spec:  # a table column outside a row, reduced by `pick`
            values = [self.transform(spec.get("as"), v, spec, ctx) for v in self.source(spec, ctx)]
            values = [v for v in values if _present(v)]
            if not values:
                return None
            pick = spec.get("pick", "first")
            if pick not in ("first", "last", "min", "max"):
                raise MappingError(f"unknown pick {pick!r}")
            if pick in ("min", "max"):
                key = (lambda v: (0, v, "")) if all(isinstance(v, (int, float)) for v in values) else (lambda v: (1, 0, str(v)))
                return (min if pick == "min" else max)(values, key=key)
            return values[0] if pick == "first" else values[-1]
        if "const" in spec and "as" not in spec:
            return spec["const"]
        if SOURCE_KEYS & spec.keys():
            raw = self.source(spec, ctx)
            if isinstance(raw, str):
                raw = " ".join(raw.split()) or None
            if "map" in spec and raw is not None:
                table = {str(k).casefold(): v for k, v in spec["map"].items()}
                raw = table.get(str(raw).casefold())
            return self.transform(spec.get("as"), raw, spec, ctx)
        # a nested element: evaluate its children
        out_d: dict = {}
        for k, v in spec.items():
            if k in ("if", "unless"):
                continue
            ev = self.value(v, ctx)
            if _present(ev):
                if k.endswith("[x]"):
                    typ, val = ev
                    out_d[k[:-3] + typ] = val
                elif k == "system" and isinstance(ev, str):
                    out_d[k] = self.term.uri(ev)
                else:
                    out_d[k] = ev
        return out_d or None

    def _condition(self, spec: dict) -> bool:
        if "if" in spec and not self.instances.get(spec["if"]):
            return False
        if "unless" in spec and self.instances.get(spec["unless"]):
            return False
        return True

    def reference(self, key: str, ctx: _Ctx) -> Any:
        if key not in self.instances and key not in {r.key for r in self.mapping.resources}:
            raise MappingError(f"ref to unknown resource {key!r}")
        found = self.instances.get(key) or []
        if not found:
            return None
        spec = found[0].spec
        if spec.for_each:
            if ctx.table == spec.for_each and ctx.row_index is not None:
                found = [i for i in found if i.row == ctx.row_index]
                return {"reference": found[0].alias_of or found[0].full_url} if found else None
            return [{"reference": i.alias_of or i.full_url} for i in found]
        return {"reference": found[0].alias_of or found[0].full_url}

    # ------------------------------------------------------------- transforms
    def transform(self, kind: str | None, raw: Any, spec: dict, ctx: _Ctx) -> Any:
        if kind == "row_number" or (kind == "pointer" and not _present(raw)):
            return None if ctx.row_index is None else ctx.row_index + 1
        if not _present(raw):
            return None
        if isinstance(raw, (dict, list)):
            raise BuildError(f"{_where(spec)}: expected a single value, got a {type(raw).__name__}")
        if kind in (None, "string"):
            return raw if isinstance(raw, bool) and kind is None else str(raw)
        if kind == "date":
            m = re.match(r"^(\d{4}-\d{2}-\d{2})", str(raw))
            try:
                return date.fromisoformat(m.group(1)).isoformat() if m else _bad(spec, "a date")
            except ValueError:
                return _bad(spec, "a date")
        if kind == "dateTime":
            return str(raw)
        if kind == "integer":
            n = _number(raw)
            return int(n) if n is not None and n.is_finite() and n == n.to_integral_value() else _bad(spec, "an integer")
        if kind == "decimal":
            n = _number(raw)
            return _json_number(n) if n is not None and n.is_finite() else _bad(spec, "a number")
        if kind == "slug":
            return slug(raw)
        if kind == "name":
            return human_name(str(raw))
        if kind == "money":
            n = _number(raw)
            if n is None or not n.is_finite():
                _bad(spec, "an amount")
            return {"value": _json_number(n), "currency": "USD"}
        if kind == "quantity":
            n = _number(raw)
            if n is None or not n.is_finite():
                _bad(spec, "a number")
            return self.quantity(n, self.value(spec.get("unit"), ctx), None)
        if kind == "value":  # value[x]: Quantity when numeric, else string
            m = _VALUE.match(str(raw))
            if m:
                comparator = _COMPARATOR.get(m.group(1), m.group(1))
                n = Decimal(m.group(2).replace(",", ""))
                return ("Quantity", self.quantity(n, self.value(spec.get("unit"), ctx), comparator))
            return ("String", str(raw))
        if kind == "reference_range":
            return self.reference_range(str(raw), self.value(spec.get("unit"), ctx))
        if kind in ("codeable", "coding"):
            return self.codeable(raw, spec, ctx, kind)
        if kind == "pointer":
            s = str(raw).strip().upper()
            if len(s) == 1 and "A" <= s <= "L":
                return ord(s) - ord("A") + 1
            if s.isdigit():
                return int(s)
            return None if ctx.row_index is None else ctx.row_index + 1
        if kind == "pointers":
            s = str(raw).strip().upper()
            if re.fullmatch(r"[A-L]+", s):
                return [ord(c) - ord("A") + 1 for c in s]
            nums = [int(x) for x in re.findall(r"\d+", s)]
            return nums or None
        raise MappingError(f"unknown transform 'as: {kind}'")

    def quantity(self, n: Decimal, unit: Any, comparator: str | None) -> dict:
        q: dict[str, Any] = {"value": _json_number(n)}
        if comparator:
            q["comparator"] = comparator
        if _present(unit):
            q["unit"] = str(unit)
            concept = self.term.lookup("ucum", unit)
            if concept:
                q["system"], q["code"] = concept.system, concept.code
        return q

    def reference_range(self, text: str, unit: Any) -> list[dict]:
        rng: dict[str, Any] = {"text": text}
        m = _RANGE.match(text)
        if m:
            rng["low"] = self.quantity(Decimal(m.group(1)), unit, None)
            rng["high"] = self.quantity(Decimal(m.group(2)), unit, None)
        else:
            b = _BOUND.match(text)
            if b:
                side = "high" if b.group(1) in ("<", "<=", "≤") else "low"
                rng[side] = self.quantity(Decimal(b.group(2)), unit, None)
        return [rng]

    def codeable(self, raw: Any, spec: dict, ctx: _Ctx, kind: str) -> dict | None:
        text = str(raw)
        system = spec.get("lookup")
        concept = self.term.lookup(system, text) if system else None
        if concept is None and spec.get("system"):
            concept = Concept(self.term.uri(spec["system"]), text, None)
        if kind == "coding":
            if concept is None:
                return None
            c = {"system": concept.system, "code": concept.code}
            if concept.display:
                c["display"] = concept.display
            return c
        if concept is None and spec.get("strict"):
            return None
        out: dict[str, Any] = {}
        if concept:
            coding = {"system": concept.system, "code": concept.code}
            if concept.display:
                coding["display"] = concept.display
            out["coding"] = [coding]
        label = self.value(spec["text"], ctx) if "text" in spec else None
        out["text"] = str(label) if _present(label) else (concept.display if concept and concept.display and concept.code == text else text)
        return out

    # ------------------------------------------------------------- resources
    def identifiers(self, spec: ResourceSpec, ctx: _Ctx) -> list[dict]:
        out = []
        for ident in spec.identifier:
            value = self.value({k: v for k, v in ident.items() if k not in ("system", "type", "assigner")}, ctx)
            if not _present(value):
                continue
            i: dict[str, Any] = {}
            system = self.term.uri(ident.get("system")) if ident.get("system") else None
            if "assigner" in ident:
                assigner = self.value(ident["assigner"], ctx)
                if _present(assigner):
                    system = f"{system}:{slug(assigner)}" if system else None
                    i["assigner"] = {"display": str(assigner)}
            if system:
                i["system"] = system
            if ident.get("type"):
                code = ident["type"]
                i["type"] = {"coding": [{"system": V2_0203, "code": code, "display": IDENTIFIER_TYPES.get(code, code)}]}
            i["value"] = str(value)
            out.append(i)
        return out

    def plan(self) -> None:
        """Decide which resource instances exist, their fullUrls and conditional-create keys."""
        seen: dict[tuple[str, str, str], str] = {}
        derived = self.term.uri("derived")
        for spec in self.mapping.resources:
            rows: list[tuple[int | None, _Ctx]]
            if spec.for_each:
                rows = [(i, _Ctx(self.fields, r, i, spec.for_each)) for i, r in enumerate(self.rows(spec.for_each))]
            else:
                rows = [(None, _Ctx(self.fields))]
            for row, ctx in rows:
                if spec.when:
                    getter = (lambda c: _cell(ctx.row.get(c))) if ctx.row is not None else self.field_value
                    if not any(_present(getter(c)) for c in spec.when):
                        continue
                local = spec.key if row is None else f"{spec.key}/{row}"
                full_url = f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{self.sha}/{local}')}"
                ident = self.identifiers(spec, ctx)
                natural = [i for i in ident if i.get("system")]
                match = None
                if spec.key_mode == "document" or not natural:
                    key_identifier = {"system": derived, "value": f"{self.sha}:{local}"}
                    match = self.demographics(spec, ctx) if spec.type == "Patient" and spec.key_mode != "document" else None
                    if match is None:
                        ident = ident + [key_identifier]
                else:
                    key_identifier = natural[0]
                inst = _Instance(spec, row, full_url, ident, key_identifier, match=match)
                dedupe = (spec.type, "match", match) if match else (spec.type, key_identifier["system"], key_identifier["value"])
                if dedupe in seen:
                    inst.alias_of = seen[dedupe]
                else:
                    seen[dedupe] = full_url
                self.instances.setdefault(spec.key, []).append(inst)

    def demographics(self, spec: ResourceSpec, ctx: _Ctx) -> str | None:
        """A Patient with no MRN is matched by family + given name + birth date (+ gender when
        known): `family:exact=..&given:exact=..&birthdate=..[&gender=..]`. None when any of the
        three is missing: then the Patient is keyed to this document (never a guess)."""
        names = self.value(spec.elements.get("name"), ctx) if "name" in spec.elements else None
        name = names[0] if isinstance(names, list) and names else names
        birth = self.value(spec.elements.get("birthDate"), ctx) if "birthDate" in spec.elements else None
        if not isinstance(name, dict) or not name.get("family") or not name.get("given") or not birth:
            return None
        parts = [("family:exact", name["family"]), ("given:exact", name["given"][0]), ("birthdate", str(birth))]
        gender = self.value(spec.elements.get("gender"), ctx) if "gender" in spec.elements else None
        if gender in ("male", "female", "other", "unknown"):
            parts.append(("gender", gender))
        return "&".join(f"{k}={quote(str(v), safe='')}" for k, v in parts)

    def build(self) -> list[tuple[_Instance, dict]]:
        out = []
        for spec in self.mapping.resources:
            for inst in self.instances.get(spec.key, []):
                if inst.alias_of:
                    continue
                ctx = _Ctx(self.fields) if inst.row is None else _Ctx(self.fields, self.rows(spec.for_each)[inst.row], inst.row, spec.for_each)
                body = self.value(spec.elements, ctx) or {}
                resource = {"resourceType": spec.type, **({"identifier": inst.ident} if inst.ident else {}), **body}
                out.append((inst, resource))
        return out
