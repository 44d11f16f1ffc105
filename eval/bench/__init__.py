"""Benchmarks (`make bench`): speed and accuracy measured, never asserted in unit tests."""
