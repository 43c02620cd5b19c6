"""Benchmarks behind ``make bench`` (not part of ``make test``): ``python -m benchmarks.run``."""
