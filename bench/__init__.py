"""Benchmarks: ratios taken side by side in one run (DESIGN.md section 6). ``make bench``."""
