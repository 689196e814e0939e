"""Airflow plugin: the wirewatch monitoring page, linked from the Airflow UI's navigation."""

from airflow.plugins_manager import AirflowPlugin

from wirewatch.monitor import create_app


class WirewatchMonitorPlugin(AirflowPlugin):
    name = "wirewatch_monitor"
    fastapi_apps = [{"app": create_app(), "url_prefix": "/wirewatch", "name": "wirewatch monitor"}]
    external_views = [{"name": "Wirewatch", "href": "wirewatch/", "destination": "nav", "category": "browse",
                       "url_route": "wirewatch"}]
