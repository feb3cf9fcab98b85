from __future__ import annotations

import pytest

from server.settings import Settings, SettingsError, settings_from_env


def test_defaults_listen_on_loopback_with_embedded_sqlite() -> None:
    settings = settings_from_env({})
    assert settings.host == "127.0.0.1"
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.log_format == "json"
    assert settings.base_url == "http://127.0.0.1:8000/"


def test_environment_values_are_converted_to_their_types() -> None:
    settings = settings_from_env(
        {"SEDA_PORT": "9000", "SEDA_WORKERS": "2", "SEDA_LOG_FORMAT": "console", "PATH": "/bin"}
    )
    assert settings == Settings(port=9000, workers=2, log_format="console")


def test_unknown_seda_variable_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="SEDA_DATABSE_URL"):
        settings_from_env({"SEDA_DATABSE_URL": "sqlite://"})


def test_bad_value_names_the_variable_but_never_echoes_the_value() -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_env({"SEDA_PORT": "canary-4f1d-secret"})
    assert "SEDA_PORT" in str(caught.value)
    assert "canary-4f1d-secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SEDA_PORT", "0"),
        ("SEDA_WORKERS", "0"),
        ("SEDA_MAX_REQUEST_BYTES", "10"),
        ("SEDA_LOG_FORMAT", "xml"),
        ("SEDA_RETENTION_DAYS", "-1"),
        ("SEDA_RETENTION_JOB_SECONDS", "-1"),
        ("SEDA_RETENTION_DAYS", "five years"),
    ],
)
def test_out_of_range_values_are_refused(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        settings_from_env({name: value})


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


def test_test_only_variables_are_not_settings() -> None:
    assert settings_from_env({"SEDA_TEST_POSTGRES_URL": "x"}) == Settings()
    assert settings_from_env({"SEDA_KIOSK_HOME": "/var/lib/seda-kiosk"}) == Settings()  # the kiosk's


@pytest.mark.parametrize("url", ["postgresql://u:canary-pw@h/d", "mysql://x", "not a url"])
def test_unsupported_database_urls_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_env({"SEDA_DATABASE_URL": url})
    assert "SEDA_DATABASE_URL" in str(caught.value)
    assert "canary-pw" not in str(caught.value)


def test_closed_cases_are_kept_five_years_by_default_and_zero_keeps_them_forever() -> None:
    assert Settings().retention_days == 1825
    assert settings_from_env({"SEDA_RETENTION_DAYS": "0"}).retention_days == 0
    assert settings_from_env({"SEDA_RETENTION_JOB_SECONDS": "0"}).retention_job_seconds == 0
