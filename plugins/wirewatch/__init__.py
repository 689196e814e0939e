"""wirewatch: RSS/Atom feeds -> clean articles -> story clusters and topics in PostgreSQL.

The package is plain Python, importable without Airflow: one package per pipeline stage (feeds,
fetch, extraction, dedup, tagging), each with the runner its DAG task calls, the warehouse I/O
(warehouse), and reporting; the modules at this level are what they all share (settings, db,
config, text, urls, workers, stages) and the entry points (cli, demo). Airflow only wires the
runners together. README, "Code map", has the tree.
"""

__version__ = "0.1.0"
