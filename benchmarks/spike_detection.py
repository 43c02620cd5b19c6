"""How often the spike rule cries wolf on noise, and how often it catches a real spike (issue 23).

The trials are ``include.spike_trials``: 200 seeded series of a year per shape (``SPIKE_SERIES`` sets
another number). Prints one JSON line; ``benchmarks.run`` makes the table.
"""

from __future__ import annotations

import json
import os
import time

from benchmarks.common import peak_rss_mb
from include.spike_trials import table


def main() -> None:
    started = time.perf_counter()
    found = table(int(os.environ.get("SPIKE_SERIES", "200")))
    print(json.dumps(found | {"seconds": round(time.perf_counter() - started, 1), "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
