"""What a batch shows people: a progress bar while it runs and a summary table and key=value
line at the end (never document text)."""
from __future__ import annotations

import logging
import time

from rich.console import Console



log = logging.getLogger(__name__)


class Progress:
    """A rich progress bar on stderr (only on a terminal), with docs/s and ETA."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.t0 = time.perf_counter()
        self.done = self.fresh = 0
        self.progress = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            console = Console(stderr=True)
            if console.is_terminal:
                self.progress = Progress(
                    TextColumn("[bold]docc run"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]} docs/s"), TextColumn("ETA"), TimeRemainingColumn(),
                    TimeElapsedColumn(), console=console, transient=False,
                )
                self.task = self.progress.add_task("run", total=total, rate="-")
                self.progress.start()

    def advance(self, n: int = 1, fresh: bool = True) -> None:
        self.done += n
        if fresh:
            self.fresh += n
        if self.progress is not None:
            dt = time.perf_counter() - self.t0
            self.progress.update(self.task, advance=n, rate=f"{self.fresh / dt:.1f}" if dt > 0 else "-")

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()



def summary(run: dict, missing: int) -> None:
    from rich.table import Table

    table = Table(title=f"docc run #{run['run']}: {run['inputs']} input(s) in {run['seconds']:.1f} s")
    table.add_column("doc type")
    for col in ("exported", "review", "quarantined", "unchanged"):
        table.add_column(col, justify="right")
    for t, c in run["doc_types"].items():
        table.add_row(t, *(str(c[k]) for k in ("exported", "review", "quarantined", "unchanged")))
    table.add_row("[bold]total", *(f"[bold]{run[k]}" for k in ("exported", "review", "quarantined", "unchanged")))
    Console().print(table)
    print(summary_line(run, missing), flush=True)


def summary_line(run: dict, missing: int = 0) -> str:
    """One key=value line for cron logs and grep: `docc run: run=3 inputs=120 exported=100 ...`."""
    keys = ("run", "inputs", "exported", "review", "quarantined", "unchanged", "seconds")
    ok = "yes" if run.get("reconciles") and not missing else "no"
    return "docc run: " + " ".join(f"{k}={run[k]}" for k in keys) + f" missing={missing} reconciles={ok}"
