"""Test-wide set-up: debug mode with the development-only keys, unless the environment says otherwise
(CI sets DATABASE_URL to run the same suite on PostgreSQL)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("JOBTRO_DEBUG", "1")


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Tests log personas in by the dozen; the production hasher's deliberate slowness would dominate
    # the suite's run time and proves nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
