"""Benchmarks: ratios taken side by side in one run (docs/benchmarks.md). ``make bench``."""
