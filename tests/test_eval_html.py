"""The HTML report opened in real headless Chromium (Debian package `chromium`): the plotly
figures render (plotly.js is inlined; the browser runs with networking disabled) and a
screenshot is not blank."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from eval.html import render_html
from eval.report import eval_command
from test_eval_support import EXTRACTOR, make_corpus, make_extractors

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium; `make test` installs it)")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           # No network at all: proves the report is self-contained.
           "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
           f"--user-data-dir={profile}", "--virtual-time-budget=10000", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("evalhtml")
    make_corpus(root / "samples")
    make_corpus(root / "heldout")
    make_extractors(root / "ext")
    assert eval_command([root / "samples", root / "heldout"], root / "ext", root / "prev") == 0
    worse = root / "ext-worse"
    make_extractors(worse, source=EXTRACTOR.replace('_label(doc, "MRN")', "None"))
    # A regression run: the report gets the regression figure too.
    assert eval_command([root / "samples", root / "heldout"], worse, root / "out", against=root / "prev" / "report.json") == 1
    return root / "out"


def test_plots_render_in_headless_chromium(report_dir, tmp_path):
    html = report_dir / "report.html"
    res = chromium(tmp_path, "--dump-dom", html.as_uri())
    assert res.returncode == 0, res.stderr[-2000:]
    dom = res.stdout
    # Plotly builds these only when its JS ran: one container and SVG per figure.
    assert dom.count('class="plot-container plotly"') == 3  # F1, calibration, regression
    assert dom.count("main-svg") >= 6
    for div in ("fig-f1", "fig-calibration", "fig-regression"):
        assert f'id="{div}"' in dom
    assert "Per-field F1" in dom and "Confidence calibration" in dom
    assert "REGRESS" in dom.upper() and "mini_lab" in dom
    # Bars were drawn (plotly renders each bar as a path in g.point).
    assert dom.count('class="point"') >= 8


def test_screenshot_is_not_blank(report_dir, tmp_path):
    png = tmp_path / "shot.png"
    res = chromium(tmp_path, "--window-size=1400,2000", "--hide-scrollbars", f"--screenshot={png}", (report_dir / "report.html").as_uri())
    assert png.exists(), res.stderr[-2000:]
    img = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert img.shape[0] >= 1000 and img.shape[1] >= 1000
    # Not blank: many distinct colours, and the plot area (below the header) has the bar colours.
    colours = {tuple(c) for c in img[::7, ::7].reshape(-1, 3)}
    assert len(colours) > 50
    blue = (np.abs(img - np.array([0x25, 0x63, 0xEB])).sum(axis=2) < 40).sum()
    assert blue > 2000, "no F1 bars drawn"


def test_comparison_figure_renders(report_dir, tmp_path):
    # The baseline section, from a report dict with a comparison (the real run is in test_eval_baseline).
    report = json.loads((report_dir / "report.json").read_text())
    report["comparison"] = {
        "n_docs": 2, "model": "m", "server": "s", "concurrency": 2, "wall_seconds": 3.0, "direct_llm_throughput_docs_per_s": 0.6,
        "rows": [{"approach": "compiled", "n_docs": 2, "micro_f1": 0.9, "macro_f1": 0.9, "fields": {"mini_lab.mrn": 1.0},
                  "tokens_per_doc": 10.0, "compile_tokens": 20, "break_even_docs": 1, "latency": {"median_ms": 0.1, "p95_ms": 0.2},
                  "deterministic": {"checked": 2, "identical": 2}},
                 {"approach": "direct-llm", "n_docs": 2, "micro_f1": 0.5, "macro_f1": 0.5, "fields": {"mini_lab.mrn": 0.5},
                  "tokens_per_doc": 900.0, "compile_tokens": 0, "break_even_docs": None, "latency": {"median_ms": 9000.0, "p95_ms": 9900.0},
                  "deterministic": {"checked": 2, "identical": 2}}],
        "per_doc": [], "determinism": [{"doc_type": "mini_lab", "doc_id": "x", "identical": True}]}
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    res = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert res.returncode == 0
    assert 'id="fig-comparison"' in res.stdout
    assert res.stdout.count('class="plot-container plotly"') == 4
    assert "break-even N" in res.stdout
