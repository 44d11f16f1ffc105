"""The compiler's fingerprint: sha256 over every docc module the compiler imports, transitively.

Why the import closure and not a hand-kept list: any module the compiler reaches can decide a
winner (canonical forms, the schema, validation, ingest), so editing any of them must make every
locked doc type stale. The closure is read statically from the sources (imports inside functions
count), so it does not depend on what happens to be imported already, and it is the same on
every machine. Locked artifacts (`extractors/compiled/`) are outputs, not the compiler.
"""
from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "extractors", "eval")
# the compiler, and the sandbox child it starts with `python -m` (it runs every candidate)
ENTRIES = ("extractors.compiler", "extractors.validation.child")
# data the compiler reads that decide candidates (package data of `extractors`)
DATA_FILES = ("extractors/lexicon.yaml", "extractors/background.yaml")


def module_path(name: str, root: Path = ROOT) -> Path | None:
    """The source of docc module `name` under `root`, or None when it is not one of ours."""
    if name.split(".")[0] not in PACKAGES or ".compiled" in f".{name}":
        return None
    base = root.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(name: str, path: Path) -> set[str]:
    """Every module name `path` imports (absolute, with `from x import y` also naming x.y)."""
    st = path.stat()
    return set(_parsed_imports(name, str(path), st.st_mtime_ns, st.st_size))


@lru_cache(maxsize=1024)
def _parsed_imports(name: str, path: str, mtime_ns: int, size: int) -> frozenset[str]:
    """Cached per file version: a compile asks for the fingerprint once per doc type."""
    pkg = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(Path(path).read_bytes())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = pkg.split(".")
                mod = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
    # a submodule import runs its parents' __init__ too
    for mod in list(found):
        parts = mod.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return frozenset(found)


def closure(entries: tuple[str, ...] = ENTRIES, root: Path = ROOT) -> dict[str, Path]:
    """docc modules reachable from `entries` by imports, name -> source path."""
    seen: dict[str, Path] = {}
    todo = list(entries)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_path(name, root)
        if path is None:
            continue
        seen[name] = path
        todo.extend(_imports(name, path) - seen.keys())
    return dict(sorted(seen.items()))


def compiler_fingerprint(root: Path = ROOT) -> str:
    """sha256 over the paths and bytes of the compiler's import closure and its data files."""
    files = [p.relative_to(root).as_posix() for p in closure(root=root).values()]
    files += [f for f in DATA_FILES if (root / f).is_file()]
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + hashlib.sha256((root / rel).read_bytes()).digest())
    return h.hexdigest()
