"""Test-wide set-up: debug mode with the development-only keys, unless the environment says otherwise
(CI sets DATABASE_URL to run the same suite on PostgreSQL)."""

import os

os.environ.setdefault("JOBTRO_DEBUG", "1")
