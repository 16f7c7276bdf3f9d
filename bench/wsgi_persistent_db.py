"""What-if for bench/load_answers.py only (``--conn-max-age N``): jobtro.wsgi with persistent database
connections, to measure what a new PostgreSQL connection per request costs. Not the production set-up.

Django's CONN_MAX_AGE is 0 unless set, and jobtro's settings do not set it: every request connects anew.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobtro.settings")

from django.conf import settings

# Before the first connection exists (jobtro.wsgi sets Django up; no app connects while doing so).
settings.DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])
settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

from jobtro.wsgi import application  # noqa: E402 - must come after the change above

__all__ = ["application"]
