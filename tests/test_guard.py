"""The run-time guard (extractors.guard), the runtime's allow-list and frozen tables, and the
per-document containment of pipeline.containment, without a batch."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import extractors.runtime as runtime
from extractors.guard import GuardError, check_output, freeze_namespace
from pipeline.containment import Contained
from pipeline.document import Document, Page, Word, group_lines


def _doc(text: str = "Patient Name: Ann Lee") -> Document:
    words = tuple(Word(t, 10.0 + 45 * i, 10.0, 50.0 + 45 * i, 20.0, 1.0) for i, t in enumerate(text.split()))
    return Document("x.pdf", "0" * 64, (Page(1, 612.0, 792.0, "text-layer", words, group_lines(words)),))


def test_runtime_all_is_the_allow_list():
    assert "field" in runtime.__all__ and "iter_pairs" in runtime.__all__
    for name in ("lru_cache", "dataclass", "Document", "re", "Any", "MappingProxyType"):
        assert name not in runtime.__all__
    assert all(not isinstance(getattr(runtime, n), types.ModuleType) for n in runtime.__all__)


@pytest.mark.parametrize("table", ["CODE_PATTERNS", "RELATION_PENALTY"])
def test_runtime_tables_are_read_only(table):
    t = getattr(runtime, table)
    with pytest.raises(TypeError):
        t["npi"] = re.compile(".")
    assert not hasattr(t, "update") and not hasattr(t, "pop")


def test_freeze_namespace_freezes_and_refuses_state():
    ns = {"A": [1, [2]], "B": {"k": {3}}, "__name__": "m"}
    freeze_namespace(ns, "m")
    assert ns["A"] == (1, (2,)) and isinstance(ns["B"], types.MappingProxyType)
    assert ns["B"]["k"] == frozenset({3})
    for bad in (iter([1]), (x for x in [1]), zip([1], [2])):
        with pytest.raises(GuardError):
            freeze_namespace({"X": bad}, "m")

    def closure():
        x = []
        return lambda: x

    f = closure()
    f.__module__ = "m"
    with pytest.raises(GuardError, match="closes over"):
        freeze_namespace({"f": f}, "m")


@pytest.mark.parametrize("out,ok", [
    ({"a": runtime.Found("x", 1, (0, 0, 1, 1), "x")}, True),
    ({"a": None, "b": 3, "c": "s"}, True),
    ({"a": runtime.Found([{"c": runtime.Found("v")}])}, True),
    ({"a": runtime.Found("x" * 900_000)}, False),
    ({"a": (x for x in [1])}, False),
    ({"a": {1}}, False),
    ({"a": runtime.Found(runtime.Found("x"))}, False),
    ([("a", 1)], False),
])
def test_check_output(out, ok):
    if ok:
        check_output(out, runtime.Found)
    else:
        with pytest.raises(GuardError):
            check_output(out, runtime.Found)


def test_contained_fresh_module_per_document():
    """Module state cannot carry from one document to the next: lists are frozen, and the
    module runs afresh for each document."""
    src = ("from extractors.runtime import Found\nSEEN = []\n\n"
           "def extract(doc):\n    try:\n        SEEN.append(1)\n    except AttributeError:\n        pass\n"
           "    return {'count': Found(len(SEEN))}\n")
    c = Contained(src, "t")
    assert [c(_doc()).out["count"].value for _ in range(3)] == [0, 0, 0]


_CHILD = """
import json, sys
sys.path.insert(0, {root!r})
from pipeline.containment import Contained
from pipeline.document import Document, Page, Word, group_lines
words = tuple(Word(t, 10.0 + 45 * i, 10.0, 50.0 + 45 * i, 20.0, 1.0) for i, t in enumerate("Patient Name: Ann Lee".split()))
doc = Document("x.pdf", "0" * 64, (Page(1, 612.0, 792.0, "text-layer", words, group_lines(words)),))
o = Contained({src!r}, "t", cpu_seconds=0.5)(doc)
print(json.dumps({{"kind": o.kind, "why": o.why}}))
"""


@pytest.mark.parametrize("body,kind", [
    ("    while True:\n        pass\n", "cpu"),
    ("    re.enum.sys.modules['os'].listdir('/')\n", "violation"),
    ("    return {'x': (w for w in doc.pages)}\n", "output"),
    ("    raise ValueError('Ann Lee 1975-03-14')\n", "error"),
])
def test_contained_limits(body, kind):
    """Each case runs in its own interpreter, as a batch worker does: the CPU limit's kernel
    backstop (RLIMIT_CPU) counts the whole process's CPU time, so inside the test runner it
    would count the runner's own threads too."""
    src = "import re\n\ndef extract(doc):\n" + body + "    return {}\n"
    root = str(Path(__file__).resolve().parents[1])
    run = subprocess.run([sys.executable, "-c", _CHILD.format(root=root, src=src)],
                         capture_output=True, text=True, check=True)
    o = json.loads(run.stdout.strip().splitlines()[-1])
    assert o["kind"] == kind, o
    assert "Ann" not in (o["why"] or "")  # exception text never reaches a reason
