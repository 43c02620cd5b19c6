"""One module per DAG's work: ``daily``, ``backfill``, ``watchdog``, ``replay`` and ``report``.

Each owns its transactions and is callable (and tested) without Airflow's scheduler; the operators
are thin shells over them.
"""
