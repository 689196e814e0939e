"""Settings come from WIREWATCH_* variables, with the dataclass defaults when unset."""

import pytest

from wirewatch import cli
from wirewatch.settings import Settings


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("WIREWATCH_ALLOWED_NETWORKS", "127.0.0.0/8, ::1")
    monkeypatch.setenv("WIREWATCH_OBEY_ROBOTS_TXT", "false")
    monkeypatch.setenv("WIREWATCH_POLL_WORKERS", "4")
    monkeypatch.delenv("WIREWATCH_HOST_DELAY_SECONDS", raising=False)
    settings = Settings.from_env()
    assert settings.allowed_networks == ("127.0.0.0/8", "::1")
    assert settings.obey_robots_txt is False and settings.poll_workers == 4
    assert settings.host_delay_seconds == Settings().host_delay_seconds == 1.0


def test_a_bad_number_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("WIREWATCH_POLL_WORKERS", "many")
    with pytest.raises(ValueError, match="WIREWATCH_POLL_WORKERS must be an integer, got 'many'"):
        Settings.from_env()


def test_the_cli_reports_a_bad_setting_without_a_traceback(monkeypatch, capsys):
    monkeypatch.setenv("WIREWATCH_READ_TIMEOUT", "soon")
    assert cli.main(["feeds", "list"]) == 2
    assert capsys.readouterr().err == "error: WIREWATCH_READ_TIMEOUT must be a number, got 'soon'\n"
