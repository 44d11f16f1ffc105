"""The security corpus: every malicious candidate rejected, every benign one accepted.

Runs the real stages 1-3 (static, security with Bandit and the sandbox, execution with its
second run) over tests/security_corpus/{malicious,benign}/*.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from extractors.validation.corpus_report import figures, run_corpus

CORPUS = Path(__file__).parent / "security_corpus"


@pytest.fixture(scope="module")
def corpus_results():
    return run_corpus(CORPUS, timeout_s=2.0)


def test_corpus_is_big_enough():
    assert len(list((CORPUS / "malicious").glob("*.py"))) >= 30
    assert len(list((CORPUS / "benign").glob("*.py"))) >= 30


def test_recall_and_false_positive_rate(corpus_results):
    fig = figures(corpus_results)
    print(f"\nsecurity corpus: recall {fig['caught']}/{fig['malicious']} = {fig['recall']:.1%}, "
          f"false positives {fig['false_positives']}/{fig['benign']} = {fig['false_positive_rate']:.1%}, "
          f"caught by stage {fig['caught_by_stage']}")
    assert fig["missed"] == [], f"malicious candidates accepted: {fig['missed']}"
    assert fig["wrongly_rejected"] == [], f"benign candidates rejected: {fig['wrongly_rejected']}"
    assert fig["recall"] == 1.0 and fig["false_positive_rate"] == 0.0


@pytest.mark.parametrize("name,stage", [
    ("m14_hidden_infinite_loop.py", "security"),     # wall timeout
    ("m36_redos.py", "security"),                    # catastrophic regex stuck in C: wall timeout
    ("m16_memory_bomb_doubling.py", "security"),     # RLIMIT_AS
    ("m52_dynamic_memory_bomb.py", "security"),      # RLIMIT_AS
    ("m25_set_order_hidden.py", "execution"),        # other hash seed in the second run
    ("m28_smuggle_default_alias.py", "static"),      # defaults must be literal constants
    ("m89_huge_value_dynamic.py", "execution"),      # run-time guard: value size cap
    ("m92_return_generator.py", "execution"),        # run-time guard: JSON-native values only
])
def test_dynamic_defences_are_the_ones_that_fire(corpus_results, name, stage):
    by_name = {r.name: r for r in corpus_results}
    assert by_name[name].rejected and by_name[name].stage == stage, by_name[name]
