"""Reporting: what the warehouse holds, shown to people (the run report, the digest, the monitoring page).

    report     one run's summary and the warehouse totals: `run_summary`, `format_summary`
    digest     the daily digest as HTML and Markdown with PNG charts: `render_digest`
    charts     small server-rendered SVG charts
    dashboard  the monitoring page's queries and actions
    monitor    the monitoring page inside the Airflow UI (FastAPI app)
"""
