"""`report.md` and the console summary from a report dict; the table rows here are shared with
`eval.html`."""
from __future__ import annotations

import json
from typing import Any, Mapping


def fmt(x: Any, nd: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def _md_table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(fmt(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |")
    return "\n".join(lines)


def field_rows(section: Mapping[str, Any]) -> list[list[Any]]:
    """Table rows (field, type, P, R, F1, exact, n, golden, extracted) incl. table columns indented."""
    rows = []
    for fname, f in section["fields"].items():
        rows.append([fname, f["type"], f["precision"], f["recall"], f["f1"], f["exact_match"], f["n_docs"],
                     f["golden_nonnull"], f["extracted_nonnull"]])
        for cname, c in (f.get("columns") or {}).items():
            rows.append([f"  {fname}.{cname}", c["type"], c["precision"], c["recall"], c["f1"], c["exact_match"],
                         c["n_docs"], c["golden_nonnull"], c["extracted_nonnull"]])
    return rows


FIELD_HEADERS = ["field", "type", "precision", "recall", "F1", "exact", "cells/docs", "golden", "extracted"]


def render_markdown(report: Mapping[str, Any]) -> str:
    parts = [f"# docc accuracy report\n\nGenerated {report['generated_at']} from `{report['extractors']['dir']}`.\n"]
    o = report["overall"]
    parts.append(f"**Overall**: {o['n_docs']} documents, micro F1 {fmt(o['micro_f1'])}, macro F1 {fmt(o['macro_f1'])}.\n")
    cls = report.get("classification")
    if cls:
        parts.append(f"## Classification\n\n{cls['n_docs']} documents: accuracy {fmt(cls['accuracy'])}, unknown rate "
                     f"{fmt(cls['unknown_rate'])}, wrong type {fmt(cls['wrong_type_rate'])}.\n")
        cols = sorted({p for row in cls["confusion"].values() for p in row})
        parts.append(_md_table(["labeled \\ predicted", *cols],
                               [[t, *[row.get(c, 0) for c in cols]] for t, row in cls["confusion"].items()]) + "\n")
    for set_name, s in report["sets"].items():
        parts.append(f"## {s['label']} (`{s['root']}`)\n")
        so = s["overall"]
        parts.append(f"{so['n_docs']} documents; micro F1 {fmt(so['micro_f1'])}, macro F1 {fmt(so['macro_f1'])}.\n")
        for dt, sec in s["doc_types"].items():
            lat = sec["latency"]
            det = sec["deterministic"]
            parts.append(f"### {dt}\n\n{sec['n_docs']} documents, micro F1 {fmt(sec['micro_f1'])}, macro F1 {fmt(sec['macro_f1'])}; "
                         f"all fields exact on {sec['docs_all_fields_exact']} documents; extraction median "
                         f"{fmt(lat['median_ms'])} ms, p95 {fmt(lat['p95_ms'])} ms; deterministic on {det['identical']}/{det['docs']}.\n")
            parts.append(_md_table(FIELD_HEADERS, field_rows(sec)) + "\n")
            if sec["errors"]:
                parts.append("Errors: " + "; ".join(f"{e['doc_id']}: {e['error']}" for e in sec["errors"][:10]) + "\n")
            worst = [w for f in sec["fields"].values() for w in f["worst"]]
            if worst:
                parts.append("Worst examples:\n\n" + _md_table(
                    ["doc", "field", "expected", "got", "conf", "snippet"],
                    [[w["doc_id"], w["field"], json.dumps(w["expected"], ensure_ascii=False, default=str),
                      json.dumps(w["got"], ensure_ascii=False, default=str), w["confidence"], w["snippet"]] for w in worst[:15]]) + "\n")
            cal = sec["calibration"]
            parts.append("Confidence calibration:\n\n" + _md_table(
                ["confidence", "n", "accuracy", "mean confidence"],
                [[b["bucket"], b["n"], b["accuracy"], b["mean_confidence"]] for b in cal["buckets"]]) + "\n")
    parts.extend(gate_markdown(report.get("gate") or {}))
    parts.extend(thresholds_markdown(report.get("gate_thresholds")))
    mod = report.get("modality")
    if mod:
        parts.append("## Text layer vs scans\n\nMicro F1 of documents read from their text layer and of OCR'd ones, "
                     "per OCR profile (`--compare-profiles` reads the scans again with other profiles); "
                     "\"(all sets)\" pools each doc type over the sets.\n")
        rows = []
        for set_name, by_type in mod.items():
            for dt, row in by_type.items():
                prof = ", ".join(f"{p} {fmt(v['micro_f1'])} ({v['n_docs']})" for p, v in row["profiles"].items() if v)
                rows.append([set_name, dt, fmt(row["text"]["micro_f1"]) if row["text"] else "",
                             row["text"]["n_docs"] if row["text"] else 0,
                             fmt(row["scan"]["micro_f1"]) if row["scan"] else "",
                             row["scan"]["n_docs"] if row["scan"] else 0,
                             fmt(row["gap"]) if row.get("gap") is not None else "", prof])
        parts.append(_md_table(["set", "doc type", "text F1", "text docs", "scan F1", "scan docs", "text − scan",
                                "scan F1 by profile"], rows) + "\n")
    comp = report.get("comparison")
    if comp:
        parts.append("## Compiled vs direct LLM (same documents)\n")
        parts.append(f"Model `{comp['model']}`, {comp['n_docs']} documents, {comp['concurrency']} requests in flight.\n")
        parts.append(_md_table(COMPARISON_HEADERS, comparison_rows(comp)) + "\n")
        fields = sorted({k for r in comp["rows"] for k in r["fields"]})
        parts.append("Per-field F1:\n\n" + _md_table(["field"] + [r["approach"] for r in comp["rows"]],
                                                      [[k] + [r["fields"].get(k) for r in comp["rows"]] for k in fields]) + "\n")
    reg = report.get("regression")
    if reg:
        parts.append(f"## Regression vs `{reg['against']}` (tolerance {reg['tolerance']})\n")
        parts.append(("**FAILED**: " if reg["failed"] else "OK: ") + f"{reg['n_regressed']} field(s) regressed, {reg['n_improved']} improved.\n")
        changed = [r for r in reg["rows"] if r["status"] != "same"]
        if changed:
            parts.append(_md_table(["set", "doc type", "field", "previous", "current", "delta", "status"],
                                   [[r["set"], r["doc_type"], r["field"], r["previous"], r["current"], r["delta"], r["status"]] for r in changed]) + "\n")
    gxr = report.get("gx")
    if gxr:
        parts.append(f"## Great Expectations ({gxr['version']}, suite from the {gxr['suite_source']}, mostly={gxr['mostly']})\n\n"
                     f"Results: `{gxr['results_file']}`.\n")
        parts.append(_md_table(["set", "doc type", "success", "fields passed", "failing fields"],
                               [[s["set"], s["doc_type"], s["success"], f"{s['successful']}/{s['evaluated']}",
                                 ", ".join(f["field"] for f in s["fields"] if not f["success"])] for s in gxr["suites"]]) + "\n")
    return "\n".join(parts)


def thresholds_markdown(gt: Mapping[str, Any] | None) -> list[str]:
    """Per-field thresholds chosen from this eval (written to `gate.yaml` beside the report)."""
    if not gt:
        return []
    rows = [[dt, f, t if t <= 1.0 else "never (withheld / review)"]
            for dt, d in gt["file"]["doc_types"].items() for f, t in d["fields"].items()]
    out = [f"## Export gate: thresholds chosen from this eval\n\nPer doc type and field, exporting the most documents "
           f"while exported precision stays >= {gt['target_precision']} on each of {', '.join(gt['chosen_on'])} "
           "(`gate.yaml` beside this report):\n\n"
           + _md_table(["set", "docs exported", "share exported", "values sent", "wrong sent", "precision"],
                       [[k, o["exported"], o["share_exported"], o["values_exported"], o["wrong_exported"], o["precision"]]
                        for k, o in gt["outcome"].items()]) + "\n"]
    out.append(_md_table(["doc type", "field", "threshold"], rows) + "\n")
    return out


def gate_markdown(gate: Mapping[str, Any]) -> list[str]:
    """The export gate: calibration (ECE, reliability bins) and the threshold sweep, per set."""
    parts = []
    for name, g in gate.items():
        c, cal = g["configured"], g["calibration"]
        parts.append(f"## Export gate: {g['label']}\n\nAt the configured thresholds: {c['exported']}/{c['docs']} documents "
                     f"exported ({fmt(c['share_exported'])}), {c['values_exported']} values sent, {c['wrong_exported']} wrong "
                     f"(precision {fmt(c['precision'])}). Confidence ECE {fmt(cal['ece'])} over {cal['values']} values; "
                     f"lowest threshold keeping exported precision >= 0.99: {g['lowest_threshold_for_precision_0.99']}.\n")
        parts.append("Reliability (calibrated confidence):\n\n" + _md_table(
            ["confidence", "values", "mean confidence", "share right"],
            [[b["bin"], b["n"], b["mean_confidence"], b["accuracy"]] for b in cal["bins"]]) + "\n")
        parts.append("Threshold sweep (one threshold for every field; optional fields under it are withheld):\n\n" + _md_table(
            ["threshold", "docs exported", "share exported", "values sent", "wrong sent", "precision"],
            [[r["threshold"], r["exported"], r["share_exported"], r["values_exported"], r["wrong_exported"], r["precision"]]
             for r in g["sweep"]]) + "\n")
    return parts


COMPARISON_HEADERS = ["approach", "docs", "micro F1", "macro F1", "tokens/doc", "compile tokens", "break-even N",
                      "latency median ms", "latency p95 ms", "deterministic"]


def _num(x: Any) -> str:
    """Tokens and milliseconds: fewer decimals the bigger the number."""
    if x is None:
        return "–"
    if isinstance(x, int) and not isinstance(x, bool):
        return f"{x:,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.4f}"


def comparison_rows(comp: Mapping[str, Any]) -> list[list[Any]]:
    rows = []
    for r in comp["rows"]:
        det = r["deterministic"]
        rows.append([r["approach"], r["n_docs"], r["micro_f1"], r["macro_f1"], _num(r["tokens_per_doc"]), _num(r["compile_tokens"]),
                     _num(r["break_even_docs"]), _num(r["latency"]["median_ms"]), _num(r["latency"]["p95_ms"]),
                     f"{det['identical']}/{det['checked']}" if det["checked"] else "–"])
    return rows


def print_console(report: Mapping[str, Any], console: Any) -> None:
    from rich.table import Table

    for set_name, s in report["sets"].items():
        table = Table(title=f"{s['label']} — micro F1 {fmt(s['overall']['micro_f1'])}, macro F1 {fmt(s['overall']['macro_f1'])}")
        table.add_column("doc type / field", justify="left", overflow="fold", min_width=24)
        for h in ("P", "R", "F1", "exact", "golden", "extracted"):
            table.add_column(h, justify="right")
        for dt, sec in s["doc_types"].items():
            table.add_row(f"[bold]{dt}[/] ({sec['n_docs']} docs)", "", "", f"[bold]{fmt(sec['micro_f1'])}[/]", "", "", "",
                          end_section=False)
            for row in field_rows(sec):
                f1 = row[4]
                style = "red" if f1 < 0.8 else ("yellow" if f1 < 0.95 else "green")
                label = "    · " + row[0].strip().split(".", 1)[1] if row[0].startswith("  ") else "  " + row[0]
                table.add_row(label, fmt(row[2], 2), fmt(row[3], 2), f"[{style}]{fmt(f1, 2)}[/]", fmt(row[5], 2),
                              str(row[7]), str(row[8]))
            table.add_section()
        console.print(table)
    comp = report.get("comparison")
    if comp:
        table = Table(title="compiled vs direct LLM (same documents)")
        for h in COMPARISON_HEADERS:
            table.add_column(h, justify="left" if h == "approach" else "right")
        for row in comparison_rows(comp):
            table.add_row(*[fmt(c) for c in row])
        console.print(table)
    reg = report.get("regression")
    if reg:
        bad = [r for r in reg["rows"] if r["status"] == "regressed"]
        if bad:
            table = Table(title=f"REGRESSION vs {reg['against']}: F1 dropped by more than {reg['tolerance']}", style="red")
            for h in ("set", "doc type", "field", "previous", "current", "delta"):
                table.add_column(h)
            for r in bad:
                table.add_row(r["set"], r["doc_type"], r["field"], fmt(r["previous"]), fmt(r["current"]), fmt(r["delta"]))
            console.print(table)
        else:
            console.print(f"[green]no regression vs {reg['against']} (tolerance {reg['tolerance']}; "
                          f"{reg['n_improved']} improved)[/]")
