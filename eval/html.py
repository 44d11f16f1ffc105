"""The self-contained HTML report: plotly figures with plotly.js inlined once, no network.

    render_html(report, previous=None) -> str

Figures: per-field F1 (grouped by sample set), confidence calibration, compiled vs direct-LLM
per-field F1 (when a baseline ran), F1 change per field versus a previous report (with --against).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import plotly.graph_objects as go
from jinja2 import Environment, FileSystemLoader, select_autoescape

from eval.markdown import COMPARISON_HEADERS, FIELD_HEADERS, comparison_rows, field_rows

TEMPLATES = Path(__file__).parent / "templates"
SET_COLORS = ["#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2"]
APPROACH_COLORS = {"compiled": "#2563eb", "direct-llm": "#dc2626"}
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=60, r=20, t=60, b=120),
                      template="plotly_white", legend=dict(orientation="h", y=1.08, x=0),
                      font=dict(family="system-ui, -apple-system, Segoe UI, sans-serif", size=12))
    return fig


Series = tuple[str, str, dict[str, dict[str, dict[str, Any]]]]  # (name, colour, {doc_type: {field: {f1, hover}}})


def _panel_bars(series: list[Series], title: str) -> go.Figure:
    """Horizontal F1 bars, one panel per doc type (two panels a row), one colour per series."""
    from plotly.subplots import make_subplots

    doc_types: list[str] = []
    fields: dict[str, list[str]] = {}
    for _, _, data in series:
        for dt, fs in data.items():
            if dt not in fields:
                doc_types.append(dt)
                fields[dt] = []
            fields[dt].extend(f for f in fs if f not in fields[dt])
    n = max(1, len(doc_types))
    ncols = 1 if n == 1 else 2
    nrows = (n + ncols - 1) // ncols
    most = max((len(v) for v in fields.values()), default=1)
    panel = max(160, most * max(1, len(series)) * 11 + 40)
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=doc_types or ["(no doc types)"],
                        horizontal_spacing=0.22, vertical_spacing=min(0.12, 60 / (panel * nrows)))
    for i, (name, colour, data) in enumerate(series):
        for k, dt in enumerate(doc_types):
            if dt not in data:
                continue
            names = list(reversed(fields[dt]))
            vals = [data[dt].get(f) for f in names]
            fig.add_bar(name=name, legendgroup=name, showlegend=k == 0, orientation="h", y=names,
                        x=[v["f1"] if v else None for v in vals],
                        hovertext=[f"{dt}.{f}: " + v["hover"] if v else "" for f, v in zip(names, vals)], hoverinfo="text",
                        marker_color=colour, text=[f"{v['f1']:.2f}" if v else "" for v in vals], textposition="outside",
                        textfont=dict(size=9), cliponaxis=False, row=k // ncols + 1, col=k % ncols + 1)
    fig.update_xaxes(range=[0, 1.12], tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1.0], tickformat=".1f")
    fig.update_yaxes(tickfont=dict(size=10), automargin=True)
    fig.update_layout(barmode="group", bargap=0.25)
    fig = _layout(fig, title, height=panel * nrows + 120)
    fig.update_layout(margin=dict(l=150, r=20, t=90, b=40))
    return fig


def f1_figure(report: Mapping[str, Any]) -> go.Figure:
    """Per-field F1 per doc type, one colour per sample set."""
    series: list[Series] = []
    for i, s in enumerate(report["sets"].values()):
        data = {dt: {f: {"f1": v["f1"], "hover": f"F1 {v['f1']:.3f} · P {v['precision']:.3f} · R {v['recall']:.3f} · n {v['n_docs']}"}
                     for f, v in sec["fields"].items()} for dt, sec in s["doc_types"].items()}
        series.append((s["label"], SET_COLORS[i % len(SET_COLORS)], data))
    return _panel_bars(series, "Per-field F1 (table fields: cell-level F1)")


def calibration_figure(report: Mapping[str, Any]) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration",
                    line=dict(dash="dash", color="#9ca3af"))
    for i, (set_name, s) in enumerate(report["sets"].items()):
        buckets = s["overall"]["calibration"]["buckets"]
        pts = [b for b in buckets if b["n"]]
        fig.add_scatter(x=[b["mean_confidence"] for b in pts], y=[b["accuracy"] for b in pts], mode="lines+markers",
                        name=s["label"], marker=dict(size=[8 + min(b["n"], 200) ** 0.5 * 2 for b in pts]),
                        hovertext=[f"{b['bucket']}: {b['correct']}/{b['n']} correct" for b in pts],
                        line=dict(color=SET_COLORS[i % len(SET_COLORS)]))
    fig.update_xaxes(range=[0, 1.02], title="mean confidence in bucket (0–0.5, 0.5–0.7, 0.7–0.9, 0.9–1.0)")
    fig.update_yaxes(range=[0, 1.05], title="accuracy of extracted values")
    return _layout(fig, "Confidence calibration", height=400)


def gate_figures(gate: Mapping[str, Any]) -> tuple[go.Figure, go.Figure]:
    """The export gate: reliability plot of its calibrated confidence, and the threshold sweep
    (share of documents exported against precision of exported values)."""
    rel = go.Figure()
    rel.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration", line=dict(dash="dash", color="#9ca3af"))
    sw = go.Figure()
    for i, (name, g) in enumerate(gate.items()):
        color = SET_COLORS[i % len(SET_COLORS)]
        bins = g["calibration"]["bins"]
        rel.add_scatter(x=[b["mean_confidence"] for b in bins], y=[b["accuracy"] for b in bins], mode="lines+markers",
                        name=f"{g['label']} (ECE {g['calibration']['ece']})", line=dict(color=color),
                        marker=dict(size=[8 + min(b["n"], 200) ** 0.5 * 2 for b in bins]),
                        hovertext=[f"{b['bin']}: {b['n']} values" for b in bins])
        rows = [r for r in g["sweep"] if r["precision"] is not None]
        sw.add_scatter(x=[r["share_exported"] for r in rows], y=[r["precision"] for r in rows], mode="lines+markers+text",
                       text=[str(r["threshold"]) for r in rows], textposition="top center", name=g["label"],
                       line=dict(color=color))
    rel.update_xaxes(range=[0, 1.02], title="calibrated confidence (10 bins)")
    rel.update_yaxes(range=[0, 1.05], title="share of values that are right")
    sw.add_hline(y=0.99, line_dash="dot", line_color="#6b7280")
    sw.update_xaxes(range=[0, 1.02], title="share of documents exported")
    sw.update_yaxes(title="precision of exported values")
    return (_layout(rel, "Export gate: reliability of calibrated confidence", height=400),
            _layout(sw, "Export gate: threshold sweep (labels: threshold)", height=400))


def comparison_figure(comp: Mapping[str, Any]) -> go.Figure:
    """Per-field F1 of compiled vs direct LLM on the same documents, per doc type."""
    series: list[Series] = []
    for r in comp["rows"]:
        if r["approach"] not in APPROACH_COLORS:
            continue
        data: dict[str, dict[str, Any]] = {}
        for key, f1 in r["fields"].items():
            dt, _, fname = key.partition(".")
            data.setdefault(dt, {})[fname] = {"f1": f1, "hover": f"{r['approach']} F1 {f1:.3f}"}
        series.append((r["approach"], APPROACH_COLORS[r["approach"]], data))
    return _panel_bars(series, f"Compiled vs direct LLM on the same {comp['n_docs']} documents (per-field F1)")


def regression_figure(reg: Mapping[str, Any]) -> go.Figure:
    rows = [r for r in reg["rows"] if r["delta"] is not None]
    colors = {"regressed": "#dc2626", "improved": "#16a34a", "same": "#9ca3af"}
    fig = go.Figure()
    fig.add_bar(x=[f"{r['set']}/{r['doc_type']}.{r['field']}" for r in rows], y=[r["delta"] for r in rows],
                marker_color=[colors[r["status"]] for r in rows], name="F1 change",
                hovertext=[f"{r['previous']:.3f} → {r['current']:.3f}" for r in rows])
    for y in (-reg["tolerance"], reg["tolerance"]):
        fig.add_hline(y=y, line_dash="dot", line_color="#6b7280")
    fig.update_yaxes(title="F1 change vs previous")
    return _layout(fig, f"F1 change vs {Path(reg['against']).name or 'previous report'} (tolerance ±{reg['tolerance']})")


def _div(fig: go.Figure, div_id: str, first: bool) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=True if first else False, div_id=div_id, config=PLOT_CONFIG)


def _fmt(x: Any, nd: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def _json(x: Any) -> str:
    return json.dumps(x, ensure_ascii=False, default=str)


def _f1_class(x: Any) -> str:
    if not isinstance(x, (int, float)):
        return ""
    return "bad" if x < 0.8 else ("warn" if x < 0.95 else "good")


def render_html(report: Mapping[str, Any], previous: Mapping[str, Any] | None = None) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = _fmt
    env.filters["js"] = _json
    env.filters["f1class"] = _f1_class
    figures = [("fig-f1", f1_figure(report)), ("fig-calibration", calibration_figure(report))]
    if report.get("gate"):
        rel, sw = gate_figures(report["gate"])
        figures += [("fig-gate-reliability", rel), ("fig-gate-sweep", sw)]
    if report.get("comparison"):
        figures.append(("fig-comparison", comparison_figure(report["comparison"])))
    if report.get("regression"):
        figures.append(("fig-regression", regression_figure(report["regression"])))
    divs = {name: _div(fig, name, i == 0) for i, (name, fig) in enumerate(figures)}
    template = env.get_template("report.html.j2")
    return template.render(report=report, divs=divs, field_rows=field_rows, field_headers=FIELD_HEADERS,
                           comparison_rows=comparison_rows, comparison_headers=COMPARISON_HEADERS,
                           has_previous=previous is not None)
