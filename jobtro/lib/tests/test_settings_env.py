"""Tests for jobtro.lib.settings_env: environment readers and DATABASE_URL parsing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from jobtro.lib import settings_env
from jobtro.lib.settings_env import (
    SettingError,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    parse_database_url,
)

VAR = "JOBTRO_TEST_SETTING"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (VAR, f"{VAR}_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_module_does_not_import_django() -> None:
    # settings.py imports this module before Django is configured.
    tree = ast.parse(Path(settings_env.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name.split(".")[0] == "django" for name in imported)


def test_setting_error_is_a_value_error_with_the_name() -> None:
    error = SettingError("X", "X is wrong")
    assert isinstance(error, ValueError)
    assert error.name == "X"
    assert str(error) == "X is wrong"


# --- env_str ---------------------------------------------------------------------------------


def test_env_str_default_when_unset() -> None:
    assert env_str(VAR, "fallback") == "fallback"


def test_env_str_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, " spaced value ")
    assert env_str(VAR, "fallback") == " spaced value "


def test_env_str_empty_counts_as_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, "")
    assert env_str(VAR, "fallback") == ""


# --- env_bool --------------------------------------------------------------------------------


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_default_when_unset(default: bool) -> None:
    assert env_bool(VAR, default) is default


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "True", "yes", "YES", "on", "On", " true\n"])
def test_env_bool_true(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv(VAR, text)
    assert env_bool(VAR, False) is True


@pytest.mark.parametrize("text", ["0", "false", "FALSE", "False", "no", "NO", "off", "OFF", " off "])
def test_env_bool_false(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv(VAR, text)
    assert env_bool(VAR, True) is False


@pytest.mark.parametrize("text", ["", "2", "y", "n", "t", "enabled", "truee", "none", "-1"])
def test_env_bool_other_values_raise(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv(VAR, text)
    with pytest.raises(SettingError) as excinfo:
        env_bool(VAR, True)
    message = str(excinfo.value)
    assert VAR in message
    assert "true/false" in message
    assert repr(text) in message
    assert excinfo.value.name == VAR


# --- env_int ---------------------------------------------------------------------------------


def test_env_int_default_when_unset() -> None:
    assert env_int(VAR, 42) == 42


@pytest.mark.parametrize(("text", "value"), [("8000", 8000), (" 7 ", 7), ("-3", -3), ("+5", 5), ("007", 7)])
def test_env_int_value(monkeypatch: pytest.MonkeyPatch, text: str, value: int) -> None:
    monkeypatch.setenv(VAR, text)
    assert env_int(VAR, 0) == value


@pytest.mark.parametrize("text", ["", "abc", "1.5", "1e3", "1_000", "０", "0x10", "12 34"])
def test_env_int_non_integers_raise(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv(VAR, text)
    with pytest.raises(SettingError, match="is not an integer") as excinfo:
        env_int(VAR, 0)
    assert VAR in str(excinfo.value)


def test_env_int_bounds_are_inclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, "1")
    assert env_int(VAR, 5, min=1, max=10) == 1
    monkeypatch.setenv(VAR, "10")
    assert env_int(VAR, 5, min=1, max=10) == 10


def test_env_int_below_min(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, "0")
    with pytest.raises(SettingError, match=f"{VAR}=0 is too small; expected at least 1"):
        env_int(VAR, 5, min=1)


def test_env_int_above_max(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, "70000")
    with pytest.raises(SettingError, match=f"{VAR}=70000 is too large; expected at most 65535"):
        env_int(VAR, 5, max=65535)


def test_env_int_default_is_not_bounds_checked() -> None:
    assert env_int(VAR, 0, min=1) == 0


# --- env_list --------------------------------------------------------------------------------


def test_env_list_default_when_unset_is_a_copy() -> None:
    default = ["a"]
    result = env_list(VAR, default)
    assert result == ["a"]
    result.append("b")
    assert default == ["a"]


def test_env_list_default_tuple() -> None:
    assert env_list(VAR, ("x", "y")) == ["x", "y"]


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("a,b,c", ["a", "b", "c"]),
        (" a , b ,c ", ["a", "b", "c"]),
        ("a,,b,", ["a", "b"]),
        (",", []),
        ("", []),
        ("  ", []),
        ("example.org", ["example.org"]),
    ],
)
def test_env_list_value(monkeypatch: pytest.MonkeyPatch, text: str, items: list[str]) -> None:
    monkeypatch.setenv(VAR, text)
    assert env_list(VAR, ["default"]) == items


# --- env_secret ------------------------------------------------------------------------------

SECRET = "s3cr3t-Value-æøå"


def test_env_secret_default_when_unset() -> None:
    assert env_secret(VAR) is None
    assert env_secret(VAR, "dev-default") == "dev-default"


def test_env_secret_from_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, SECRET)
    assert env_secret(VAR) == SECRET


@pytest.mark.parametrize("ending", ["", "\n", "\r\n", "\n\n"])
def test_env_secret_from_file_strips_trailing_newlines(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ending: str
) -> None:
    path = tmp_path / "secret"
    path.write_bytes((SECRET + ending).encode("utf-8"))
    monkeypatch.setenv(f"{VAR}_FILE", str(path))
    assert env_secret(VAR, "unused") == SECRET


def test_env_secret_keeps_inner_and_leading_whitespace(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text(" a b\n", encoding="utf-8")
    monkeypatch.setenv(f"{VAR}_FILE", str(path))
    assert env_secret(VAR) == " a b"


def test_env_secret_both_set_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text(SECRET, encoding="utf-8")
    monkeypatch.setenv(VAR, SECRET)
    monkeypatch.setenv(f"{VAR}_FILE", str(path))
    with pytest.raises(SettingError, match="set only one") as excinfo:
        env_secret(VAR)
    message = str(excinfo.value)
    assert VAR in message
    assert f"{VAR}_FILE" in message
    assert SECRET not in message


def test_env_secret_missing_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    monkeypatch.setenv(f"{VAR}_FILE", str(missing))
    with pytest.raises(SettingError, match="does not exist") as excinfo:
        env_secret(VAR, "unused")
    assert f"{VAR}_FILE" in str(excinfo.value)
    assert str(missing) in str(excinfo.value)
    assert excinfo.value.name == f"{VAR}_FILE"


def test_env_secret_file_is_a_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(f"{VAR}_FILE", str(tmp_path))
    with pytest.raises(SettingError, match="cannot be read"):
        env_secret(VAR)


def test_env_secret_empty_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("\n", encoding="utf-8")
    monkeypatch.setenv(f"{VAR}_FILE", str(path))
    with pytest.raises(SettingError, match="empty"):
        env_secret(VAR, "must-not-fall-back")


def test_env_secret_non_utf8_file_does_not_echo_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_bytes(b"abc\xff\xfe")
    monkeypatch.setenv(f"{VAR}_FILE", str(path))
    with pytest.raises(SettingError, match="not UTF-8") as excinfo:
        env_secret(VAR)
    assert "abc" not in str(excinfo.value).replace(str(path), "")
    assert excinfo.value.__suppress_context__


def test_env_secret_empty_variable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # An empty secret must not silently fall back to the (possibly insecure) default.
    monkeypatch.setenv(VAR, "")
    with pytest.raises(SettingError, match="set but empty"):
        env_secret(VAR, "insecure-dev-default")


def test_env_secret_empty_file_variable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{VAR}_FILE", "")
    with pytest.raises(SettingError, match="expected the path"):
        env_secret(VAR)


# --- parse_database_url ----------------------------------------------------------------------


def test_sqlite_relative_path() -> None:
    assert parse_database_url("sqlite:///db.sqlite3") == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "db.sqlite3",
    }
    assert parse_database_url("sqlite:///var/data/db.sqlite3")["NAME"] == "var/data/db.sqlite3"


def test_sqlite_absolute_path() -> None:
    assert parse_database_url("sqlite:////srv/jobtro/db.sqlite3") == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "/srv/jobtro/db.sqlite3",
    }


def test_sqlite_percent_decoding_and_memory() -> None:
    assert parse_database_url("sqlite:////data/my%20db.sqlite3")["NAME"] == "/data/my db.sqlite3"
    assert parse_database_url("sqlite:///:memory:")["NAME"] == ":memory:"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "PostgreSQL"])
def test_postgres_full_url(scheme: str) -> None:
    assert parse_database_url(f"{scheme}://jobtro:pw@db.example.org:6543/jobtro_prod") == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "jobtro_prod",
        "USER": "jobtro",
        "PASSWORD": "pw",
        "HOST": "db.example.org",
        "PORT": "6543",
        "OPTIONS": {},
    }


def test_postgres_percent_decoding() -> None:
    entry = parse_database_url("postgres://us%40er:p%40ss%3Aw%2Fo%23rd@host/my%2Fdb")
    assert entry["USER"] == "us@er"
    assert entry["PASSWORD"] == "p@ss:w/o#rd"
    assert entry["NAME"] == "my/db"
    assert entry["PORT"] == ""


def test_postgres_unencoded_at_in_password() -> None:
    # The last "@" separates the host, so a stray "@" in the password still works.
    entry = parse_database_url("postgres://user:p@ss@host:5432/db")
    assert entry["PASSWORD"] == "p@ss"
    assert entry["HOST"] == "host"


def test_postgres_minimal_and_socket_forms() -> None:
    entry = parse_database_url("postgres:///jobtro")
    assert (entry["USER"], entry["PASSWORD"], entry["HOST"], entry["PORT"]) == ("", "", "", "")
    assert entry["NAME"] == "jobtro"
    socket = parse_database_url("postgresql://%2Fvar%2Frun%2FPostgreSQL/jobtro")
    assert socket["HOST"] == "/var/run/PostgreSQL"  # case kept: it is a path
    user_only = parse_database_url("postgres://alice@localhost/jobtro")
    assert (user_only["USER"], user_only["PASSWORD"]) == ("alice", "")


def test_postgres_ipv6_host() -> None:
    entry = parse_database_url("postgres://u:p@[::1]:5433/db")
    assert (entry["HOST"], entry["PORT"]) == ("::1", "5433")


def test_postgres_query_goes_into_options() -> None:
    entry = parse_database_url("postgres://u:p@h/db?sslmode=require&connect_timeout=10&application_name=jobtro%20web")
    assert entry["OPTIONS"] == {
        "sslmode": "require",
        "connect_timeout": "10",
        "application_name": "jobtro web",
    }


PASSWORD = "Hunter2-Secret"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        (PASSWORD, "is not a URL"),
        (f"mysql://u:{PASSWORD}@h/db", "unsupported scheme"),
        (f"{PASSWORD}://x", "unsupported scheme"),
        ("sqlite://", "names a host"),
        ("sqlite:///", "no SQLite file path"),
        ("sqlite://host/db", "names a host"),
        ("sqlite:///db.sqlite3?timeout=5", "query or fragment"),
        (f"postgres://u:{PASSWORD}@h:99999/db", "invalid port"),
        (f"postgres://u:{PASSWORD}@h:0/db", "invalid port"),
        (f"postgres://u:{PASSWORD}@h:port/db", "invalid port"),
        (f"postgres://u:{PASSWORD}@h:5432", "no database name"),
        (f"postgres://u:{PASSWORD}@h:5432/", "no database name"),
        (f"postgres://u:{PASSWORD}@h/a/b", "'/' in the database name"),
        (f"postgres://u:{PASSWORD}@h/db#frag", "fragment"),
        (f"postgres://u:{PASSWORD}@[::1/db", "malformed"),
        (f"postgres://u:{PASSWORD}@::1:5432/db", "brackets"),
        (f"postgres://u:{PASSWORD}@h/db?sslmode", "malformed query"),
        (f"postgres://u:{PASSWORD}@h/db?sslmode=require&sslmode=disable", "twice"),
    ],
)
def test_bad_database_urls_raise_without_echoing_the_url(url: str, problem: str) -> None:
    with pytest.raises(SettingError) as excinfo:
        parse_database_url(url)
    message = str(excinfo.value)
    assert problem in message
    assert message.startswith("DATABASE_URL ")
    assert "expected sqlite:///" in message
    assert PASSWORD not in message
    assert PASSWORD.lower() not in message
    assert excinfo.value.__cause__ is None


def test_database_url_error_uses_the_given_variable_name() -> None:
    with pytest.raises(SettingError) as excinfo:
        parse_database_url("mysql://x/y", name="ANALYSIS_DATABASE_URL")
    assert str(excinfo.value).startswith("ANALYSIS_DATABASE_URL ")
    assert excinfo.value.name == "ANALYSIS_DATABASE_URL"
