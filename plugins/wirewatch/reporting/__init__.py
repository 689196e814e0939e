"""Reporting: what the warehouse holds, shown to people (the run report, the digest, the monitoring page).

    report     one run's summary and the warehouse totals: `run_summary`, `format_summary`
    digest     the daily digest as HTML and Markdown with PNG charts (main events too): `render_digest`
    charts     small server-rendered SVG charts, and an offline SVG map of points
    export     the conflict events as an ACLED-style CSV: `write_acled_csv`
    dashboard  the monitoring page's queries and actions
    monitor    the monitoring page inside the Airflow UI (FastAPI app)
"""
