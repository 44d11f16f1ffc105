"""The compiler fingerprint follows the compiler's import closure, not a hand-kept list."""
from __future__ import annotations

import shutil
from pathlib import Path

from extractors.fingerprint import DATA_FILES, PACKAGES, ROOT, closure, compiler_fingerprint


def test_closure_holds_the_modules_that_decide_winners():
    mods = closure()
    for name in ("extractors.compiler", "extractors.canonical", "extractors.schema", "extractors.scoring",
                 "extractors.validation.accuracy", "extractors.validation.child", "pipeline.ingest.core",
                 "pipeline.document"):
        assert name in mods, name
    assert not any(m.startswith(("eval", "extractors.compiled", "pipeline.batch", "pipeline.cli")) for m in mods)


def _copy_tree(dst: Path) -> Path:
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, dst / pkg, ignore=shutil.ignore_patterns("compiled", "__pycache__", "*.pdf", "*.png"))
    return dst


def test_editing_any_module_the_compiler_imports_makes_it_stale(tmp_path):
    root = _copy_tree(tmp_path)
    before = compiler_fingerprint(root)
    assert before == compiler_fingerprint(root)
    batch = root / "pipeline" / "batch.py"  # run time only: not part of the compiler
    batch.write_text(batch.read_text() + "\n# touched\n")
    assert compiler_fingerprint(root) == before
    for rel in ("extractors/canonical.py", "pipeline/ingest/sniff.py", DATA_FILES[0]):
        path = root / rel
        path.write_text(path.read_text() + "\n# touched\n")
        after = compiler_fingerprint(root)
        assert after != before, rel
        before = after
