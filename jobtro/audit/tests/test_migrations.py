"""Migrations and the audit log: a data migration's historical models write no events, so the
organisation app migrates on its own before the audit log's table exists."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import TestCase

from jobtro.audit.models import AuditEvent

BASE_DIR = Path(__file__).resolve().parents[3]


class MigrationAuditTestCase(TestCase):
    def test_it_writes_no_event_for_historical_models(self) -> None:
        state = MigrationLoader(connection).project_state(("organisation", "0002_municipalities"))
        Municipality = state.apps.get_model("organisation", "Municipality")
        before = AuditEvent.objects.count()
        Municipality.objects.update_or_create(code="0411", defaults={"name": "Christiansø", "region_code": "1084"})
        Municipality.objects.filter(code="0411").delete()
        self.assertEqual(AuditEvent.objects.count(), before)

    def test_it_has_no_events_from_loading_the_municipalities(self) -> None:
        # The test database was migrated from scratch: the 98 municipalities left no trace in the log.
        self.assertEqual(AuditEvent.objects.filter(object_type="organisation.Municipality").count(), 0)

    def test_it_migrates_the_organisation_app_alone_on_a_fresh_database(self) -> None:
        with tempfile.TemporaryDirectory() as var_dir:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("JOBTRO_", "DATABASE_URL"))}
            env.update(JOBTRO_DEBUG="1", JOBTRO_VAR_DIR=var_dir)
            result = subprocess.run(
                [sys.executable, "-m", "jobtro.cli", "migrate", "organisation", "--no-input"],
                cwd=BASE_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            self.assertEqual(result.returncode, 0, result.stderr[-2000:])
            self.assertIn("organisation.0002_municipalities... OK", result.stdout)
            self.assertTrue((Path(var_dir) / "jobtro.sqlite3").exists())
