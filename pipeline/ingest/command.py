"""`docc ingest INPUT... [--workers N]`: read documents and print a summary, never their text."""
from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from pipeline.errors import IngestError
from pipeline.walk import display, walk


def iter_inputs(inputs: Iterable[Path]) -> Iterator[Path]:
    """Every input under `inputs` as `pipeline.walk.walk` finds it (the one walking rule for
    `docc run` and `docc ingest`: recursive, sorted, symbolic links followed with loops caught,
    hidden files and sidecars inside folders skipped). Paths that cannot be read are yielded
    too, so ingest reports them instead of dropping them."""
    for entry in walk(inputs):
        yield Path(os.fsdecode(entry.path))


def ingest_command(inputs: list[Path], workers: int) -> int:
    """Ingest every input with a progress bar and print a summary table.

    Returns 0 when every input was accounted for (read, or reported with its error kind);
    errors are listed per file. Returns 2 when there was nothing to ingest.
    """
    from pipeline.ingest.core import ingest_many

    console = Console(stderr=False)
    entries = list(walk(inputs))
    files = [Path(os.fsdecode(e.path)) for e in entries if e.error is None]
    walk_errors = [(display(e.path), *e.error) for e in entries if e.error is not None]
    if not entries:
        console.print("[yellow]no input files found[/yellow]")
        return 2

    pages_by_source: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    error_rows: list[tuple[str, str, str]] = list(walk_errors)
    for _, kind, _ in walk_errors:
        errors[kind] += 1
    n_docs = cache_hits = 0
    t0 = time.perf_counter()
    progress = Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[pages]} pages"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    with progress:
        task = progress.add_task("ingest", total=len(files), pages=0)
        for path, res in ingest_many(files, workers=workers):
            if isinstance(res, IngestError):
                errors[res.kind] += 1
                error_rows.append((str(path), res.kind, res.reason))
            else:
                n_docs += 1
                for pg in res.pages:
                    pages_by_source[pg.source] += 1
                cache_hits += int(res.meta.get("ocr_cache_hits", 0))
            progress.update(task, advance=1, pages=sum(pages_by_source.values()))
    elapsed = time.perf_counter() - t0
    n_pages = sum(pages_by_source.values())

    summary = Table(title="docc ingest", show_header=True)
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    summary.add_row("files", str(len(entries)))
    summary.add_row("documents read", str(n_docs))
    summary.add_row("pages (text layer)", str(pages_by_source.get("text-layer", 0)))
    summary.add_row("pages (OCR)", str(pages_by_source.get("ocr", 0)))
    summary.add_row("OCR pages from cache", str(cache_hits))
    for kind in sorted(errors):
        summary.add_row(f"errors: {kind}", str(errors[kind]))
    summary.add_row("seconds", f"{elapsed:.2f}")
    summary.add_row("pages/s", f"{n_pages / elapsed:.1f}" if elapsed > 0 else "-")
    summary.add_row("workers", str(workers))
    console.print(summary)

    if error_rows:
        et = Table(title="files not read", show_header=True)
        et.add_column("file", overflow="fold")
        et.add_column("kind")
        et.add_column("reason", overflow="fold")
        for f, kind, reason in error_rows:
            et.add_row(escape(f), kind, escape(reason))
        console.print(et)
    accounted = n_docs + sum(errors.values())
    if accounted != len(entries):  # cannot happen: ingest_many yields once per input
        console.print(f"[red]accounting mismatch: {len(entries)} inputs, {accounted} results[/red]")
        return 1
    return 0
