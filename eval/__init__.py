"""docc evaluation: accuracy metrics, reports, direct-LLM baseline, benchmarks, sample corpus."""
