"""jobtro's one settings file, driven by the environment.

Every knob is an environment variable (secrets may come from a file named by ``<NAME>_FILE``). A bad
value stops start-up with ImproperlyConfigured naming the variable. SQLite under ``var/`` by default;
``DATABASE_URL`` selects PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from jobtro.lib import settings_env as env
from jobtro.lib.encryption import FieldCipher
from jobtro.lib.settings_env import SettingError

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("JOBTRO_VAR_DIR", BASE_DIR / "var"))

# Development-only secrets, used when JOBTRO_DEBUG is on and the real ones are not set. They are
# public (they are in this file), so a non-debug start refuses to run without real ones.
_DEV_SECRET_KEY = "jobtro-dev-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105 - public on purpose, debug only
_DEV_PSEUDONYM_KEY = "jobtro-dev-only-pseudonym-key-not-secret-0123456789"
_DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktam9idHJvLWVuY3J5cHRpb24ta2V5ISE="  # base64 of 32 bytes


def _settings() -> dict[str, Any]:
    debug = env.env_bool("JOBTRO_DEBUG", False)

    def secret(name: str, dev_default: str) -> str:
        value = env.env_secret(name)
        if value:
            return value
        if debug:
            return dev_default
        raise SettingError(name, f"{name} is not set: set {name} or {name}_FILE (required when JOBTRO_DEBUG is off)")

    database_url = env.env_str("DATABASE_URL", "")
    if database_url:
        database = env.parse_database_url(database_url, name="DATABASE_URL")
        # Keep each worker's connection for a while: opening one per request cost ~10 ms per answer
        # saved and halved throughput under load (bench/load_answers.py). Health checks drop dead ones.
        database["CONN_MAX_AGE"] = env.env_int("DATABASE_CONN_MAX_AGE", 60, min=0, max=3600)
        database["CONN_HEALTH_CHECKS"] = True
    else:
        if os.environ.get("JOBTRO_VAR_DIR", "default").strip() == "":
            raise SettingError("JOBTRO_VAR_DIR", "JOBTRO_VAR_DIR is set but empty; expected a directory, or unset it")
        try:
            VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded default needs nothing set up by hand
        except OSError as exc:
            raise SettingError(
                "JOBTRO_VAR_DIR",
                f"JOBTRO_VAR_DIR names {str(VAR_DIR)!r}, which cannot be used as the data directory "
                f"({exc.strerror or type(exc).__name__})",
            ) from None
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR_DIR / "jobtro.sqlite3")}
    if database["ENGINE"].endswith("sqlite3"):
        # WAL lets readers and the task worker proceed while a request writes.
        database.setdefault("OPTIONS", {})
        database["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        database["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
        database["OPTIONS"].setdefault("timeout", 20)

    # Several keys (comma- or newline-separated): the first encrypts, all decrypt - that is rotation.
    raw_keys = secret("JOBTRO_ENCRYPTION_KEYS", _DEV_ENCRYPTION_KEY)
    encryption_keys = [k.strip() for k in raw_keys.replace("\n", ",").split(",") if k.strip()]
    try:
        FieldCipher(encryption_keys)
    except ValueError as exc:
        raise SettingError("JOBTRO_ENCRYPTION_KEYS", f"JOBTRO_ENCRYPTION_KEYS: {exc}") from None

    pseudonym_key = secret("JOBTRO_PSEUDONYM_KEY", _DEV_PSEUDONYM_KEY)
    if len(pseudonym_key.encode()) < 32:
        raise SettingError("JOBTRO_PSEUDONYM_KEY", "JOBTRO_PSEUDONYM_KEY must be at least 32 bytes long")

    return {
        "DEBUG": debug,
        "SECRET_KEY": secret("SECRET_KEY", _DEV_SECRET_KEY),
        "ALLOWED_HOSTS": env.env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"]),
        "CSRF_TRUSTED_ORIGINS": env.env_list("CSRF_TRUSTED_ORIGINS", []),
        "DATABASES": {"default": database},
        "JOBTRO_ENCRYPTION_KEYS": encryption_keys,
        "JOBTRO_PSEUDONYM_KEY": pseudonym_key,
        # The site's public address, for links in e-mails sent outside a request (invitations, reminders).
        "JOBTRO_BASE_URL": env.env_str("JOBTRO_BASE_URL", "http://127.0.0.1:8000" if debug else ""),
        "JOBTRO_DISCLOSURE_THRESHOLD": env.env_int("JOBTRO_DISCLOSURE_THRESHOLD", 5, min=1, max=100),
        "EMAIL_BACKEND": env.env_str(
            "EMAIL_BACKEND",
            "django.core.mail.backends.console.EmailBackend"
            if debug
            else "django.core.mail.backends.smtp.EmailBackend",
        ),
        "EMAIL_HOST": env.env_str("EMAIL_HOST", "localhost"),
        "EMAIL_PORT": env.env_int("EMAIL_PORT", 25, min=1, max=65535),
        "EMAIL_HOST_USER": env.env_str("EMAIL_HOST_USER", ""),
        "EMAIL_HOST_PASSWORD": env.env_secret("EMAIL_HOST_PASSWORD") or "",
        "EMAIL_USE_TLS": env.env_bool("EMAIL_USE_TLS", False),
        "DEFAULT_FROM_EMAIL": env.env_str("DEFAULT_FROM_EMAIL", "jobtro@localhost"),
        "SECURE_SSL_REDIRECT": env.env_bool("SECURE_SSL_REDIRECT", False),
        "SESSION_COOKIE_SECURE": env.env_bool("SESSION_COOKIE_SECURE", not debug),
        "CSRF_COOKIE_SECURE": env.env_bool("CSRF_COOKIE_SECURE", not debug),
    }


try:
    _env = _settings()
except SettingError as exc:
    raise ImproperlyConfigured(f"jobtro settings: {exc}") from None

DEBUG: bool = _env["DEBUG"]
SECRET_KEY: str = _env["SECRET_KEY"]
ALLOWED_HOSTS: list[str] = _env["ALLOWED_HOSTS"]
CSRF_TRUSTED_ORIGINS: list[str] = _env["CSRF_TRUSTED_ORIGINS"]
DATABASES: dict[str, dict[str, Any]] = _env["DATABASES"]
JOBTRO_ENCRYPTION_KEYS: list[str] = _env["JOBTRO_ENCRYPTION_KEYS"]
JOBTRO_PSEUDONYM_KEY: str = _env["JOBTRO_PSEUDONYM_KEY"]
JOBTRO_BASE_URL: str = _env["JOBTRO_BASE_URL"]
# Smallest number of persons an aggregate shown outside the research role may rest on.
JOBTRO_DISCLOSURE_THRESHOLD: int = _env["JOBTRO_DISCLOSURE_THRESHOLD"]
EMAIL_BACKEND: str = _env["EMAIL_BACKEND"]
EMAIL_HOST: str = _env["EMAIL_HOST"]
EMAIL_PORT: int = _env["EMAIL_PORT"]
EMAIL_HOST_USER: str = _env["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD: str = _env["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS: bool = _env["EMAIL_USE_TLS"]
DEFAULT_FROM_EMAIL: str = _env["DEFAULT_FROM_EMAIL"]
SECURE_SSL_REDIRECT: bool = _env["SECURE_SSL_REDIRECT"]
SESSION_COOKIE_SECURE: bool = _env["SESSION_COOKIE_SECURE"]
CSRF_COOKIE_SECURE: bool = _env["CSRF_COOKIE_SECURE"]

INSTALLED_APPS = [
    "jobtro.apps.JobtroAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "jobtro.organisation",
    "jobtro.measurement",
    "jobtro.outcomes",
    "jobtro.collaboration",
    "jobtro.audit",
    "jobtro.reports",
    "jobtro.analysis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jobtro.i18n.DanishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "jobtro.audit.middleware.AuditContextMiddleware",
]

if not DEBUG:
    # Production serves the collected static files from the WSGI processes; runserver does it in debug.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "jobtro.urls"
WSGI_APPLICATION = "jobtro.wsgi.application"
AUTH_USER_MODEL = "organisation.Staff"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "jobtro.organisation.backends.RoleBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "jobtro" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jobtro.organisation.context_processors.roles",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Danish first; English selectable through the language switch.
LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "jobtro" / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Copenhagen"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "jobtro" / "static",
    # DKFDS (npm `dkfds`) straight from node_modules: `make` runs `npm ci`; collectstatic copies it.
    ("dkfds", BASE_DIR / "node_modules" / "dkfds" / "dist"),
    ("htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SESSION_COOKIE_AGE = 8 * 60 * 60  # a working day
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
