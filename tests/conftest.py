"""Shared fixtures. The LLM fixture starts the real embedded vLLM server once per test run
(or uses DOCC_LLM_URL when set) and every test file that needs a model uses this one."""
from __future__ import annotations

import pytest

from extractors.llm.testing import llm_for_tests


@pytest.fixture(scope="session")
def llm():
    """A client for the real model server, shared by the whole session."""
    with llm_for_tests() as client:
        yield client
