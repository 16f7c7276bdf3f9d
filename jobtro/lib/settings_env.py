"""Small readers for environment-driven settings (in the spirit of healthchecks' envbool/envint).

Pure Python on purpose: ``settings.py`` imports this before Django is configured, and turns
:class:`SettingError` into ``ImproperlyConfigured``. Every error names the variable, says what is
wrong and what is expected; values of secrets (and database URLs, which carry passwords) are never
put in a message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, overload
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "SettingError",
    "env_bool",
    "env_int",
    "env_list",
    "env_secret",
    "env_str",
    "parse_database_url",
]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
# ASCII only: int() would also accept "1_000", full-width and other Unicode digits.
_INT = re.compile(r"[+-]?[0-9]+")


class SettingError(ValueError):
    """An environment variable is missing, malformed or inconsistent.

    Attributes
    ----------
    name : str
        The environment variable concerned.
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def env_str(name: str, default: str) -> str:
    """The variable's value as is (an empty value counts as set), or ``default`` when it is unset.

    Parameters
    ----------
    name : str
        Environment variable name.
    default : str
        Returned when the variable is not set.

    Returns
    -------
    str
    """
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """The variable as a boolean, or ``default`` when it is unset.

    Accepts 1/0, true/false, yes/no, on/off in any case, with surrounding whitespace.

    Raises
    ------
    SettingError
        For any other value, including an empty one (which is more likely a mistake than a choice).
    """
    raw = os.environ.get(name)
    if raw is None:
        return default
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SettingError(
        name,
        f"{name}={raw!r} is not a boolean; expected one of 1/0, true/false, yes/no, on/off "
        f"(any case), or leave it unset for the default ({default})",
    )


def env_int(name: str, default: int, *, min: int | None = None, max: int | None = None) -> int:
    """The variable as an integer, or ``default`` when it is unset.

    Parameters
    ----------
    name : str
        Environment variable name.
    default : int
        Returned when the variable is not set (not checked against the bounds: it is the code's choice).
    min, max : int, optional
        Inclusive bounds for a value taken from the environment.

    Raises
    ------
    SettingError
        If the value is not a decimal integer (ASCII digits, optional sign) or is out of bounds.
    """
    raw = os.environ.get(name)
    if raw is None:
        return default
    text = raw.strip()
    if _INT.fullmatch(text) is None:
        raise SettingError(
            name, f"{name}={raw!r} is not an integer; expected decimal digits such as {default}, or unset it"
        )
    value = int(text)
    if min is not None and value < min:
        raise SettingError(name, f"{name}={value} is too small; expected at least {min}")
    if max is not None and value > max:
        raise SettingError(name, f"{name}={value} is too large; expected at most {max}")
    return value


def env_list(name: str, default: Sequence[str]) -> list[str]:
    """The variable as a comma-separated list, or a copy of ``default`` when it is unset.

    Items are trimmed and empty items dropped, so ``"a, b,,c,"`` gives ``["a", "b", "c"]`` and a
    variable set to ``""`` gives an empty list (an explicit "none", unlike leaving it unset).
    """
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


@overload
def env_secret(name: str, default: str) -> str: ...


@overload
def env_secret(name: str, default: None = None) -> str | None: ...


def env_secret(name: str, default: str | None = None) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (Docker/Kubernetes secrets).

    Parameters
    ----------
    name : str
        Environment variable name; ``name + "_FILE"`` is the file variant.
    default : str, optional
        Returned when neither variable is set.

    Returns
    -------
    str or None
        The secret; read from a file, trailing newlines (``\\n``, ``\\r\\n``) are removed.

    Raises
    ------
    SettingError
        If both variables are set, the file cannot be read or is not UTF-8, or the secret is empty
        (an empty secret is a misconfiguration, and must not silently fall back to ``default``).
        The secret's value never appears in the message.
    """
    file_var = f"{name}_FILE"
    direct = os.environ.get(name)
    path_text = os.environ.get(file_var)
    if direct is not None and path_text is not None:
        raise SettingError(name, f"both {name} and {file_var} are set; set only one of them")
    if direct is not None:
        if not direct:
            raise SettingError(name, f"{name} is set but empty; expected a non-empty secret, or unset it")
        return direct
    if path_text is None:
        return default
    if not path_text.strip():
        raise SettingError(file_var, f"{file_var} is set but empty; expected the path of a file holding {name}")
    path = Path(path_text)
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingError(file_var, f"{file_var} names {path_text!r}, which does not exist") from None
    except UnicodeDecodeError:
        # from None: the decode error quotes bytes of the secret.
        raise SettingError(file_var, f"{file_var} names {path_text!r}, which is not UTF-8 text") from None
    except OSError as exc:
        raise SettingError(
            file_var,
            f"{file_var} names {path_text!r}, which cannot be read ({exc.strerror or type(exc).__name__})",
        ) from None
    secret = content.rstrip("\r\n")
    if not secret:
        raise SettingError(file_var, f"{file_var} names {path_text!r}, which is empty; expected the secret {name}")
    return secret


_POSTGRES_SCHEMES = frozenset({"postgres", "postgresql"})
_EXPECTED_URL = (
    "expected sqlite:///relative/path, sqlite:////absolute/path or "
    "postgres[ql]://user:password@host:port/dbname[?option=value&...]"
)


def parse_database_url(url: str, *, name: str = "DATABASE_URL") -> dict[str, Any]:
    """A Django ``DATABASES`` entry from a database URL.

    Supported forms:

    - ``sqlite:///path/to/db.sqlite3`` (relative to the working directory) and
      ``sqlite:////absolute/path/db.sqlite3``; ``sqlite:///:memory:`` for an in-memory database.
    - ``postgres://user:password@host:port/dbname`` or ``postgresql://...``. User, password, host and
      database name are percent-decoded (write ``@`` in a password as ``%40``); a percent-encoded path
      as host (``%2Fvar%2Frun%2Fpostgresql``) selects a Unix socket directory; IPv6 hosts go in
      brackets. Every query parameter (``?sslmode=require&connect_timeout=5``) goes into ``OPTIONS``
      as a string, which Django passes on to libpq.

    Parameters
    ----------
    url : str
        The URL.
    name : str, default "DATABASE_URL"
        The variable the URL came from, for error messages.

    Returns
    -------
    dict
        ``ENGINE`` and ``NAME`` for SQLite; ``ENGINE``, ``NAME``, ``USER``, ``PASSWORD``, ``HOST``,
        ``PORT`` (a string, ``""`` for the default) and ``OPTIONS`` for PostgreSQL.

    Raises
    ------
    SettingError
        For any other scheme or a malformed URL. The URL is never quoted, as it may hold a password.
    """

    def fail(problem: str) -> SettingError:
        return SettingError(name, f"{name} {problem}; {_EXPECTED_URL}")

    if not isinstance(url, str) or not url.strip():
        raise fail("is empty")
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise fail("is not a URL (no '://')")
    if scheme == "sqlite":
        return _sqlite(rest, fail)
    if scheme in _POSTGRES_SCHEMES:
        return _postgres(url, fail)
    # The scheme is not quoted either: for a mangled value it could be the start of a password.
    raise fail("has an unsupported scheme")


def _sqlite(rest: str, fail: Callable[[str], SettingError]) -> dict[str, Any]:
    """The SQLite entry for the part of the URL after ``sqlite://``."""
    # rest is "/<path>": the empty host, then the path. "sqlite:///db" -> "db" (relative),
    # "sqlite:////abs/db" -> "/abs/db" (absolute), as in SQLAlchemy and dj-database-url.
    if not rest.startswith("/"):
        raise fail("names a host for SQLite; SQLite URLs have three slashes (sqlite:///path)")
    if "?" in rest or "#" in rest:
        raise fail("has a query or fragment, which SQLite URLs do not support here")
    path = unquote(rest[1:])
    if not path:
        raise fail("has no SQLite file path")
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}


def _postgres(url: str, fail: Callable[[str], SettingError]) -> dict[str, Any]:
    """The PostgreSQL entry for a postgres:// or postgresql:// URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise fail("is malformed") from None
    if parts.fragment:
        raise fail("has a '#fragment', which database URLs do not use")
    # Split the netloc by hand: urlsplit's .hostname lowercases (wrong for a socket directory) and
    # .port raises a ValueError that quotes the netloc, password included.
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        userinfo = ""
    user_q, colon, password_q = userinfo.partition(":")
    if hostport.startswith("["):
        host_q, bracket, after = hostport[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise fail("has a malformed IPv6 host (expected [address]:port)")
        port = after[1:]
    else:
        if hostport.count(":") > 1:
            raise fail("has a malformed host (IPv6 addresses go in brackets)")
        host_q, _, port = hostport.partition(":")
    if port and (not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535):
        raise fail("has an invalid port (expected a number 1-65535)")
    db_path = parts.path[1:] if parts.path.startswith("/") else parts.path
    if not db_path:
        raise fail("has no database name (expected /dbname after the host)")
    if "/" in db_path:
        raise fail("has a '/' in the database name (percent-encode it as %2F)")
    options: dict[str, str] = {}
    if parts.query:
        try:
            pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise fail("has a malformed query string (expected ?option=value&...)") from None
        for key, value in pairs:
            if key in options:
                raise fail(f"sets the option {key!r} twice")
            options[key] = value
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(db_path),
        "USER": unquote(user_q),
        "PASSWORD": unquote(password_q) if colon else "",
        "HOST": unquote(host_q),
        "PORT": port,
        "OPTIONS": options,
    }
