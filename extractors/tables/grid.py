"""Grid strategy: the table grids a page draws (`Page.tables`), read by their header row.

Learned from where the samples print their golden rows inside drawn grids: for each column,
the grid column that holds it, its header *as printed*, and which part of the cell it is
(`135 mmol/L` holds value and unit). The lexicon's wordings of the column's name and learned
header words are added after the learned ones, so unseen layouts still read and a learned
header always wins. When no grid in a document carries such a header, the field falls back
to the section-list reading (`extractors.tables.section`), so a layout without grids loses
nothing. Rendered as `runtime.grid_rows`, then `runtime.section_rows`.
"""
from __future__ import annotations

from collections import Counter

from extractors import runtime
from extractors.candidates import FieldCandidate
from extractors.plan import _lit
from extractors.schema import FieldSpec, Schema
from extractors.tables import section

NAME = "grid"


def _key(text) -> str:
    return runtime.collapse(str(text)).casefold()


def _learn_grid(grid, rows: list[dict], cols: list[str], anchor: str):
    """(header row index, {column: (grid column, part)}) that grounds most golden rows in this
    grid, or None when the anchor column grounds none."""
    wanted = {c: {_key(r[c]) for r in rows if r.get(c) not in (None, "")} for c in cols}
    ncols = max(len(r) for r in grid.rows)
    best: dict[str, tuple[int, str, int]] = {}
    first_hit: int | None = None
    for c in cols:
        if not wanted[c]:
            continue
        for j in range(ncols):
            for part in runtime.GRID_PARTS:
                hits, first = 0, None
                for ri, row in enumerate(grid.rows):
                    cell = row[j] if j < len(row) else None
                    if cell is None or not cell.words:
                        continue
                    v = runtime.cell_part(cell.text, part)
                    if v is not None and v.casefold() in wanted[c]:
                        hits += 1
                        first = ri if first is None else first
                if hits and hits > best.get(c, (0, "", 0))[2] or (hits and hits == best.get(c, (0, "", 0))[2]
                                                                  and part == "all"):
                    best[c] = (j, part, hits)
                    if c == anchor:
                        first_hit = first
    if anchor not in best or best[anchor][2] < 2 or not first_hit:
        # one grounded row is a stray match (a diagnosis inside an encounters table); no
        # header row above the first grounded row is a continued grid
        return None
    j = best[anchor][0]
    # the header row: the first row above the first grounded row with its own cell in the
    # anchor's column (a caption box spanning the whole grid is not a header)
    header = next((r for r in range(first_hit) if j < len(grid.rows[r]) and grid.rows[r][j] is not None
                   and grid.rows[r][j].words), None)
    if header is None:
        return None
    return header, {c: (jj, p) for c, (jj, p, _) in best.items()}, {c: n for c, (_, _, n) in best.items()}


def _header_like(phrase: str) -> bool:
    """A printed column header: a few words, letters only (not a value that happens to sit there)."""
    words = phrase.split()
    return 0 < len(words) <= 4 and not any(ch.isdigit() for ch in phrase)


def learn(name: str, spec: FieldSpec, docs: dict, goldens: dict[str, dict], siblings=()) -> dict | None:
    cols = list(spec.columns)
    all_rows = [r for i in docs for r in (goldens[i].get(name) or []) if isinstance(r, dict)]
    if not all_rows:
        return None
    roles = section.learn_roles(spec, all_rows)
    anchor = next((c for c, r in roles.items() if r == "name"), cols[0])
    headers: dict[str, Counter] = {c: Counter() for c in cols}
    parts: dict[str, Counter] = {c: Counter() for c in cols}
    within: dict[str, Counter] = {c: Counter() for c in cols}
    for i in sorted(docs):
        rows = [r for r in (goldens[i].get(name) or []) if isinstance(r, dict)]
        if not rows:
            continue
        for page in docs[i].pages:
            for grid in getattr(page, "tables", ()):
                got = _learn_grid(grid, rows, cols, anchor)
                if got is None:
                    continue
                hr, mapping, hits = got
                header = grid.rows[hr]
                for c, (j, p) in mapping.items():
                    owner = next((o for o, (oj, _) in mapping.items() if oj == j and o != c
                                  and cols.index(o) < cols.index(c)), None)
                    if owner is not None:
                        within[c][(owner, p)] += 1
                        continue
                    cell = runtime._grid_cell(header, j)
                    if cell is not None and runtime.norm_phrase(cell.text):
                        headers[c][runtime.norm_phrase(cell.text)] += hits[c]
                    parts[c][p] += 1
    from extractors.synth import _name_tokens, _synonyms  # the lexicon lives with the synthesizer

    columns: dict[str, dict] = {}
    for c in cols:
        top = max(headers[c].values(), default=0)
        # a header seen far less often than the column's main one grounded a stray value
        learned = [h for h, n in sorted(headers[c].items(), key=lambda kv: (-kv[1], kv[0]))
                   if _header_like(h) and n >= 0.3 * top]
        # the lexicon's wordings of the column's own name, never of another column's header
        _, phrases = _synonyms(set(), set(_name_tokens(c)))
        phrases |= {runtime.norm_phrase(c.replace("_", " "))}
        others = {h for o in cols if o != c for h in headers[o]}
        lex = sorted(p for p in phrases if p not in learned and p not in others)
        entry: dict = {"headers": tuple(learned + lex), "learned": len(learned)}
        if parts[c]:
            entry["part"] = sorted(parts[c].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        if within[c]:
            entry["within"] = sorted(within[c].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        elif roles.get(c) == "unit":
            value = next((o for o, r in roles.items() if r == "value"), None)
            if value is not None:
                entry["within"] = (value, "rest")  # generic: number then unit in one cell
        if not entry["headers"] and "within" not in entry:
            continue
        columns[c] = entry
    if anchor not in columns or not columns[anchor]["headers"]:
        return None
    filled = {c: sum(1 for r in all_rows if r.get(c) not in (None, "")) for c in cols}
    required = tuple(c for c in cols if roles.get(c) == "value" and filled[c] >= 0.9 * len(all_rows))
    return {"columns": columns, "anchor": anchor, "required": required,
            "section": section.learn(name, spec, docs, goldens, siblings)}


def render(name: str, params: dict) -> str:
    cols = {c: {k: (tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in e.items()}
            for c, e in params["columns"].items()}
    out = (f"def field_{name}(doc, pairs, order):\n"
           f"    found = runtime.grid_rows(\n        doc,\n        columns={_lit(cols)},\n"
           f"        anchor={params['anchor']!r},\n        required={_lit(tuple(params['required']))},\n")
    sec = params.get("section")
    if sec is not None:
        out += f"        headings={_lit(tuple(sec['headings']))},\n"
    out += "    )\n"
    if sec is None:
        return out + "    return found\n"
    body = section.render(name, sec).split("\n", 1)[1]
    return out + "    if found is not None:\n        return found\n" + body


def candidates(schema: Schema, docs: dict, goldens: dict[str, dict]) -> list[FieldCandidate]:
    return section.learned_candidates(schema, docs, goldens, learn, render, NAME)
