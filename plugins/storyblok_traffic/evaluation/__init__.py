"""Reads and ``rules/`` to observations and alert rows: ``check`` (the ordered multi-day check),
``day`` (one day's evaluation), ``spikes`` and ``reconciliation`` (their stored series)."""
