"""The `--against` guard: per-field F1 of this report versus a previous `report.json`."""
from __future__ import annotations

from typing import Any, Mapping


def field_f1s(report: Mapping[str, Any]) -> dict[tuple[str, str, str], float]:
    """{(set, doc_type, field or table.column): F1} of a report.json."""
    out: dict[tuple[str, str, str], float] = {}
    for set_name, s in (report.get("sets") or {}).items():
        for dt, section in (s.get("doc_types") or {}).items():
            for fname, f in (section.get("fields") or {}).items():
                out[(set_name, dt, fname)] = f["f1"]
                for cname, c in (f.get("columns") or {}).items():
                    out[(set_name, dt, f"{fname}.{cname}")] = c["f1"]
    return out


def regression(current: Mapping[str, Any], previous: Mapping[str, Any], tolerance: float, against: str = "") -> dict[str, Any]:
    """Compare field F1s with a previous report: a drop larger than `tolerance` fails. Sets absent
    from either report are skipped; fields new or removed are listed but do not fail."""
    cur, prev = field_f1s(current), field_f1s(previous)
    shared_sets = set(current.get("sets") or {}) & set(previous.get("sets") or {})
    rows = []
    for key in sorted(set(cur) | set(prev)):
        if key[0] not in shared_sets:
            continue
        c, p = cur.get(key), prev.get(key)
        if c is None:
            status, delta = "removed", None
        elif p is None:
            status, delta = "new", None
        else:
            delta = c - p
            status = "regressed" if delta < -tolerance - 1e-9 else ("improved" if delta > tolerance + 1e-9 else "same")
        rows.append({"set": key[0], "doc_type": key[1], "field": key[2], "previous": p, "current": c,
                     "delta": None if delta is None else round(delta, 6), "status": status})
    failed = [r for r in rows if r["status"] == "regressed"]
    return {"against": against, "tolerance": tolerance, "failed": bool(failed), "n_regressed": len(failed),
            "n_improved": sum(r["status"] == "improved" for r in rows), "sets_compared": sorted(shared_sets), "rows": rows}
