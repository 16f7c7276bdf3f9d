"""The `jobtro` console command: Django's management entry point with jobtro's settings.

A bad setting or bad input ends with one clear line and a non-zero exit, never a stack trace.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobtro.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.db import OperationalError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["jobtro", *(argv if argv is not None else sys.argv[1:])])
    except ImproperlyConfigured as exc:
        print(f"jobtro: configuration error: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        # The database cannot be reached or opened: say so, and which one, in one line.
        print(f"jobtro: database error: {exc} (check DATABASE_URL or JOBTRO_VAR_DIR)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
