"""The dependency direction, enforced by module: a module imports only from its own layer or
below (imports inside functions count too). The layers are named here, explicitly, so moving a
module between layers is a visible decision in review. See docs/ARCHITECTURE.md."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "extractors", "eval")

# Lowest first. Base entries name modules exactly; the other layers name prefixes ("x" matches x
# and x.*), and the longest matching prefix decides (pipeline.cli is "top", not "pipeline").
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    # the document model, the runtime helper API generated code calls, errors, settings (and the
    # three package __init__ files, which hold only docstrings)
    ("base", ("pipeline", "extractors", "eval", "pipeline.document", "pipeline.errors", "pipeline.settings", "pipeline.shipped",
              "extractors.runtime", "extractors._rt_values", "extractors._rt_cells", "extractors._rt_rows", "extractors._rt_grid", "extractors._rt_textgrid", "extractors._rt_keyed",
              "extractors._rt_units",
              "extractors.ocr_tolerance", "extractors.codes", "extractors.values",
              "extractors.fileio")),
    # bytes -> Document (pdfium text layer, OCR): the compiler reads samples exactly as runs read inputs
    # (with the two things ingest shares with runs: walking inputs and the crash-isolating pool)
    ("ingest", ("pipeline.ingest", "pipeline.walk", "pipeline.pool")),
    # compile time: candidates, validation, artifacts and lock, the classifier model
    ("compiler", ("extractors",)),
    # run time: batch, checks, gate, FHIR, studio
    ("pipeline", ("pipeline",)),
    # on top: measuring and the command line
    ("top", ("eval", "pipeline.cli")),
]


def layer_of(module: str) -> int:
    best = None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if module == p or (rank > 0 and module.startswith(p + ".")):
                if best is None or len(p) > best[1]:
                    best = (rank, len(p))
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best[0]


def modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            rel = path.relative_to(ROOT)
            if "compiled" in rel.parts:  # generated extractors: checked by the static validator
                continue
            name = ".".join(rel.with_suffix("").parts)
            out[name.removesuffix(".__init__")] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
    return {m for m in found if m in known}


def upward_imports() -> list[str]:
    mods = modules()
    bad = []
    for name, path in sorted(mods.items()):
        for target in sorted(imports(name, path, set(mods))):
            if layer_of(target) > layer_of(name):
                bad.append(f"{name} ({LAYERS[layer_of(name)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})")
    return bad


def test_no_module_imports_upward():
    assert upward_imports() == []


def test_every_module_has_a_layer_and_the_base_is_small():
    mods = modules()
    ranks = {name: layer_of(name) for name in mods}
    assert ranks["pipeline.document"] == 0 and ranks["extractors.runtime"] == 0
    assert ranks["pipeline.ingest.core"] == 1 and ranks["extractors.compiler"] == 2
    assert ranks["pipeline.batch"] == 3 and ranks["pipeline.cli"] == ranks["eval.report"] == 4


def test_every_docc_exception_derives_from_docc_error():
    """One hierarchy; `ExtractorStopped` is a BaseException on purpose (see pipeline/errors.py)."""
    import importlib

    from pipeline.errors import DoccError

    loose = []
    for name in sorted(modules()):
        if name.startswith(("eval.corpus", "eval.bench", "eval.devset")) or name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        for attr, obj in vars(module).items():
            if (isinstance(obj, type) and issubclass(obj, BaseException) and obj.__module__ == name
                    and not issubclass(obj, DoccError) and attr != "ExtractorStopped"):
                loose.append(f"{name}.{attr}")
    assert loose == []


if __name__ == "__main__":  # print the violations (used to measure before/after)
    print("\n".join(upward_imports()))
