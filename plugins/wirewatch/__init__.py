"""wirewatch: RSS/Atom feeds -> clean articles -> story clusters and topics in PostgreSQL.

The package is plain Python, importable without Airflow: one module per pipeline stage
(feeds, fetch, extract, dedup, topics, actors) plus the warehouse I/O (warehouse, migrations)
and the stage runners the DAGs call (pipeline). Airflow only wires these together.
"""

__version__ = "0.1.0"
