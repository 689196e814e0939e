"""Airflow plugin: the Wirewatch dashboard, in the Airflow UI's navigation (Browse → Wirewatch).

Every route needs an Airflow login, checked by Airflow's own security dependencies (session cookie
of the UI or a Bearer token): reading needs read access to the news_ingest DAG, actions need edit
access to it.
"""

from airflow.api_fastapi.core_api.security import get_user, requires_access_dag
from airflow.plugins_manager import AirflowPlugin

from wirewatch.reporting.monitor import DAG_ID, Access, create_app

ACCESS = Access(user=get_user,
                read=requires_access_dag("GET", param_dag_id=DAG_ID),
                edit=requires_access_dag("PUT", param_dag_id=DAG_ID))


class WirewatchMonitorPlugin(AirflowPlugin):
    name = "wirewatch_monitor"
    fastapi_apps = [{"app": create_app(access=ACCESS), "url_prefix": "/wirewatch", "name": "wirewatch monitor"}]
    external_views = [{"name": "Wirewatch", "href": "wirewatch/", "destination": "nav", "category": "browse",
                       "url_route": "wirewatch"}]
