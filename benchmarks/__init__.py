"""Benchmarks of digest: quality on labelled public data (`python -m benchmarks.quality`)."""
