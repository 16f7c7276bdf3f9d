from io import StringIO

from django.core.management import call_command
from django.test import TestCase


class MigrationsCompleteTest(TestCase):
    def test_it_has_a_migration_for_every_model_change(self) -> None:
        # Fails (SystemExit) when a model change has no migration, or when a model's definition is not
        # deterministic (e.g. built from a set), which would make every run see a "change".
        out = StringIO()
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
        self.assertIn("No changes detected", out.getvalue())
