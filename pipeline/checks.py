"""Runtime validation: the compiled `<doc_type>.expectations.json` suites as Great Expectations
1.x suites, run over a *batch* of documents at once.

One DataFrame per doc type per batch (one row per document) plus one per table field (one
row per table row, mapped back to its document). Every expectation gets its own column,
holding the value it needs (the raw value, its string form, a number, or a Python-computed
boolean for checks GX has no expectation for, such as the NPI Luhn digit), so a failed row
maps straight to a check name. All checks are row-wise: a document's verdict does not depend
on the other documents in its batch.

GX is slow to import and start (~4 s); `RuntimeChecks` does it lazily, once per run.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from datetime import date
from typing import Any

from extractors.codes import npi_valid as npi_luhn_ok
from extractors.values import number_float as _number, present as _present

log = logging.getLogger(__name__)


def _collapse(v: Any) -> str:
    return re.sub(r"\s+", " ", str(v)).strip()


def _valid_date(v: Any) -> bool:
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", str(v))
    if not m:
        return False
    try:
        d = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return False
    return 1900 <= d.year <= 2100


def cell(check: dict[str, Any], value: Any) -> Any:
    """The value placed in the check's column for one document or table row (None = absent)."""
    kind = check["kind"]
    if kind == "derived" and check["derive"] == "nonempty_table":
        return bool(value)
    if not _present(value):
        return None
    if kind == "not_null":
        return True
    if kind == "regex":
        s = _collapse(value)
        if check.get("normalise") == "code":
            s = re.sub(r"\s+", "", s).upper()
        return s
    if kind == "in_set":
        return _collapse(value).casefold()
    if kind == "between":
        return _number(value)
    if kind == "derived":
        d = check["derive"]
        if d == "valid_date":
            return _valid_date(value)
        if d == "numeric":
            return _number(value) is not None
        if d == "npi_luhn":
            return npi_luhn_ok(value)
    raise ValueError(f"unknown check kind {kind}/{check.get('derive')}")


def _scalar(fields: dict[str, Any], name: str) -> Any:
    f = fields.get(name)
    return f.get("value") if isinstance(f, dict) else None


class RuntimeChecks:
    """Great Expectations suites for the run's doc types; `validate` a batch at a time."""

    def __init__(self, suites: dict[str, dict[str, Any] | None]) -> None:
        self.suites = {t: s for t, s in suites.items() if s}
        self._gx = None
        self._ctx = None
        self._defs: dict[tuple[str, str | None], Any] = {}
        self._gx_suites: dict[tuple[str, str | None], Any] = {}
        self.validations = 0
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Import and start GX ahead of the first batch (call from a background thread)."""
        try:
            self._start()
        except Exception:  # the real call reports it
            log.debug("GX warm-up failed", exc_info=True)

    # -- GX set-up, once per run --------------------------------------------------------
    def _start(self) -> None:
        with self._lock:
            if self._ctx is None:
                self._start_locked()

    def _start_locked(self) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        import warnings

        # learned patterns may hold groups; GX's str.contains warns about them (harmless)
        warnings.filterwarnings("ignore", message="This pattern is interpreted as a regular expression")
        for name in ("great_expectations", "great_expectations.core", "great_expectations.data_context",
                     "great_expectations.data_context.types.base"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._gx = gx
        self._ctx = gx.get_context(mode="ephemeral")
        self._ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        self._ds = self._ctx.data_sources.add_pandas("docc_runtime")

    def _suite(self, doc_type: str, table: str | None):
        key = (doc_type, table)
        if key in self._gx_suites:
            return self._defs[key], self._gx_suites[key]
        gx = self._gx
        E = gx.expectations
        checks = [c for c in self.suites[doc_type]["checks"] if c.get("table") == table]
        suite = self._ctx.suites.add(gx.ExpectationSuite(name=f"{doc_type}.{table or 'doc'}"))
        for i, c in enumerate(checks):
            col, meta = f"e{i}", {"name": c["name"]}
            k = c["kind"]
            if k == "not_null":
                exp = E.ExpectColumnValuesToNotBeNull(column=col, meta=meta)
            elif k == "regex":
                exp = E.ExpectColumnValuesToMatchRegex(column=col, regex=c["regex"], meta=meta)
            elif k == "in_set":
                exp = E.ExpectColumnValuesToBeInSet(column=col, value_set=list(c["values"]), meta=meta)
            elif k == "between":
                exp = E.ExpectColumnValuesToBeBetween(column=col, min_value=c["min"], max_value=c["max"], meta=meta)
            elif k == "derived":
                exp = E.ExpectColumnValuesToBeInSet(column=col, value_set=[True], meta=meta)
            else:
                raise ValueError(f"{doc_type}: unknown check kind {k!r}")
            suite.add_expectation(exp)
        asset = self._ds.add_dataframe_asset(name=f"{doc_type}.{table or 'doc'}")
        bd = asset.add_batch_definition_whole_dataframe("batch")
        self._defs[key], self._gx_suites[key] = bd, suite
        return bd, suite

    # -- validation ----------------------------------------------------------------------
    def _run(self, doc_type: str, table: str | None, columns: dict[str, list], row_doc: list[int], failed: list[set[str]]) -> None:
        import pandas as pd

        if not row_doc:
            return
        self._start()
        bd, suite = self._suite(doc_type, table)
        names = {f"e{i}": c["name"] for i, c in enumerate(c for c in self.suites[doc_type]["checks"] if c.get("table") == table)}
        df = pd.DataFrame({col: pd.Series(vals, dtype="object" if not all(isinstance(v, (float, type(None))) for v in vals) else "float64") for col, vals in columns.items()})
        batch = bd.get_batch(batch_parameters={"dataframe": df})
        res = batch.validate(suite, result_format={"result_format": "COMPLETE"})
        self.validations += 1
        for r in res.results:
            cfg = r.expectation_config
            name = (cfg.meta or {}).get("name") or names.get(cfg.kwargs.get("column"), cfg.type)
            if r.success:
                continue
            if r.exception_info and r.exception_info.get("raised_exception"):
                log.error("runtime check %s raised in GX: %s", name, r.exception_info.get("exception_message"))
                rows = range(len(row_doc))
            else:
                rows = r.result.get("unexpected_index_list") or []
            for idx in rows:
                if isinstance(idx, dict):  # when GX reports index columns
                    idx = idx.get("index", next(iter(idx.values())))
                failed[row_doc[int(idx)]].add(name)

    def validate(self, doc_type: str, field_sets: list[dict[str, Any]]) -> list[list[str]]:
        """For each document's serialised `fields`, the sorted names of the checks it fails."""
        failed: list[set[str]] = [set() for _ in field_sets]
        suite = self.suites.get(doc_type)
        if not suite or not field_sets:
            return [[] for _ in field_sets]
        checks = suite["checks"]
        doc_checks = [c for c in checks if c.get("table") is None]
        if doc_checks:
            cols = {f"e{i}": [] for i in range(len(doc_checks))}
            for fields in field_sets:
                for i, c in enumerate(doc_checks):
                    cols[f"e{i}"].append(cell(c, _scalar(fields, c["field"])))
            self._run(doc_type, None, cols, list(range(len(field_sets))), failed)
        for table in sorted({c["table"] for c in checks if c.get("table")}):
            t_checks = [c for c in checks if c.get("table") == table]
            cols = {f"e{i}": [] for i in range(len(t_checks))}
            row_doc: list[int] = []
            for d, fields in enumerate(field_sets):
                rows = _scalar(fields, table)
                for row in rows if isinstance(rows, list) else []:
                    row_doc.append(d)
                    for i, c in enumerate(t_checks):
                        v = row.get(c["field"]) if isinstance(row, dict) else None
                        cols[f"e{i}"].append(cell(c, v.get("value") if isinstance(v, dict) else v))
            self._run(doc_type, table, cols, row_doc, failed)
        return [sorted(f) for f in failed]
