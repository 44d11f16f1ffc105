"""Held-out folds for candidate selection.

What matters is how a candidate does on layouts it was not shown, so samples are grouped
into layouts (by which printed labels carry the golden values, a signature that does not
depend on file names) and candidates are scored leave-one-layout-out. With one layout only,
it falls back to interleaved k-fold over sample ids.
"""
from __future__ import annotations


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def layout_groups(signatures: dict[str, set[str]], threshold: float = 0.5) -> list[list[str]]:
    """Group sample ids whose label signatures overlap by at least `threshold` (single link)."""
    ids = sorted(signatures)
    parent = {i: i for i in ids}

    def root(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for x, a in enumerate(ids):
        for b in ids[x + 1:]:
            if _jaccard(signatures[a], signatures[b]) >= threshold:
                parent[root(b)] = root(a)
    groups: dict[str, list[str]] = {}
    for i in ids:
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def make_folds(ids: list[str], groups: list[list[str]], k: int = 3) -> list[tuple[list[str], list[str]]]:
    """(train, test) splits: leave-one-group-out with 2+ groups, else interleaved k-fold."""
    ids = sorted(ids)
    if len(groups) >= 2:
        return [(sorted(set(ids) - set(g)), sorted(g)) for g in groups]
    k = max(2, min(k, len(ids)))
    return [([i for j, i in enumerate(ids) if j % k != f], [i for j, i in enumerate(ids) if j % k == f]) for f in range(k)]
