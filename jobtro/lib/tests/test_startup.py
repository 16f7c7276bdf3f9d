"""Start-up with jobtro/settings.py and the `jobtro` command (jobtro/cli.py), run as a real process:
a bad value stops it with one line naming the variable and a non-zero exit - never a traceback.

Every run gets a temporary JOBTRO_VAR_DIR, so no test touches the developer's database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.test import SimpleTestCase

from jobtro.lib.encryption import generate_key

BASE_DIR = Path(__file__).resolve().parents[3]
PSEUDONYM_KEY = "a-test-pseudonym-key-of-at-least-32-bytes-0123456789"
SECRET = "a-test-secret-key-from-a-file-0123456789abcdefghijklmnop"


class StartupTestCase(SimpleTestCase):
    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = Path(tmp.name)

    def run_jobtro(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """`jobtro <args>` with only the given jobtro variables set (on top of a clean environment)."""
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("JOBTRO_", "DATABASE_URL", "SECRET_KEY", "DJANGO_", "EMAIL_", "ALLOWED_HOSTS"))
        }
        clean["JOBTRO_VAR_DIR"] = str(self.tmp / "var")
        clean.update(env)
        return subprocess.run(  # noqa: S603 - our own CLI; the arguments are the test's own
            [sys.executable, "-m", "jobtro.cli", *(args or ("check",))],
            cwd=BASE_DIR,
            env=clean,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def assertRefused(self, result: subprocess.CompletedProcess[str], variable: str) -> None:
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertNotIn("Traceback", result.stderr)
        self.assertIn(variable, result.stderr)
        self.assertEqual(result.stderr.count("\n"), 1, result.stderr)  # one clear line
        self.assertTrue(result.stderr.startswith("jobtro: configuration error:"), result.stderr)

    def production(self, **env: str) -> dict[str, str]:
        secret_file = self.tmp / "secret_key"
        secret_file.write_text(SECRET + "\n")
        base = {
            "JOBTRO_DEBUG": "0",
            "SECRET_KEY_FILE": str(secret_file),
            "JOBTRO_ENCRYPTION_KEYS": generate_key(),
            "JOBTRO_PSEUDONYM_KEY": PSEUDONYM_KEY,
        }
        base.update(env)
        return base

    def test_it_starts_with_a_good_debug_environment(self) -> None:
        result = self.run_jobtro(JOBTRO_DEBUG="1")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("no issues", result.stdout)
        self.assertTrue((self.tmp / "var").is_dir())  # the embedded database's directory, in the temp dir

    def test_it_refuses_a_threshold_that_is_not_a_number(self) -> None:
        result = self.run_jobtro(JOBTRO_DEBUG="1", JOBTRO_DISCLOSURE_THRESHOLD="abc")
        self.assertRefused(result, "JOBTRO_DISCLOSURE_THRESHOLD")

    def test_it_refuses_a_threshold_out_of_range(self) -> None:
        self.assertRefused(self.run_jobtro(JOBTRO_DEBUG="1", JOBTRO_DISCLOSURE_THRESHOLD="0"), "at least 1")

    def test_it_refuses_a_debug_flag_that_is_not_a_boolean(self) -> None:
        self.assertRefused(self.run_jobtro(JOBTRO_DEBUG="maybe"), "JOBTRO_DEBUG")

    def test_it_refuses_an_unsupported_database_without_quoting_the_url(self) -> None:
        result = self.run_jobtro(JOBTRO_DEBUG="1", DATABASE_URL="mysql://jobtro:hunter2-pw@db/jobtro")
        self.assertRefused(result, "DATABASE_URL")
        self.assertNotIn("hunter2", result.stderr)

    def test_it_refuses_a_malformed_encryption_key_without_quoting_it(self) -> None:
        result = self.run_jobtro(JOBTRO_DEBUG="1", JOBTRO_ENCRYPTION_KEYS="notakey-but-a-secret")
        self.assertRefused(result, "JOBTRO_ENCRYPTION_KEYS")
        self.assertNotIn("notakey-but-a-secret", result.stderr)

    def test_it_refuses_a_short_pseudonym_key(self) -> None:
        self.assertRefused(self.run_jobtro(JOBTRO_DEBUG="1", JOBTRO_PSEUDONYM_KEY="short"), "JOBTRO_PSEUDONYM_KEY")

    def test_it_refuses_to_run_without_debug_and_without_a_secret_key(self) -> None:
        env = self.production()
        del env["SECRET_KEY_FILE"]
        self.assertRefused(self.run_jobtro(**env), "SECRET_KEY")

    def test_it_refuses_to_run_without_debug_on_the_public_development_keys(self) -> None:
        self.assertRefused(self.run_jobtro(JOBTRO_DEBUG="0"), "JOBTRO_ENCRYPTION_KEYS")

    def test_it_reads_the_secret_key_from_a_file(self) -> None:
        result = self.run_jobtro(
            "shell",
            "-c",
            "from django.conf import settings; print(settings.SECRET_KEY, settings.DEBUG)",
            **self.production(),
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip().splitlines()[-1], f"{SECRET} False")
        self.assertEqual(self.run_jobtro(**self.production()).returncode, 0)

    def test_it_refuses_a_secret_key_file_that_does_not_exist(self) -> None:
        env = self.production(SECRET_KEY_FILE=str(self.tmp / "missing"))
        self.assertRefused(self.run_jobtro(**env), "SECRET_KEY_FILE")

    def test_it_refuses_both_a_secret_and_its_file(self) -> None:
        env = self.production(SECRET_KEY="direct-secret-value")
        result = self.run_jobtro(**env)
        self.assertRefused(result, "SECRET_KEY_FILE")
        self.assertNotIn("direct-secret-value", result.stderr)

    def test_it_refuses_a_data_directory_it_cannot_create(self) -> None:
        blocker = self.tmp / "a-file"
        blocker.write_text("")
        self.assertRefused(self.run_jobtro(JOBTRO_DEBUG="1", JOBTRO_VAR_DIR=str(blocker)), "JOBTRO_VAR_DIR")
        self.assertRefused(self.run_jobtro(JOBTRO_DEBUG="1", JOBTRO_VAR_DIR=str(blocker / "sub")), "JOBTRO_VAR_DIR")

    def test_it_refuses_an_empty_data_directory(self) -> None:
        self.assertRefused(self.run_jobtro(JOBTRO_DEBUG="1", JOBTRO_VAR_DIR=""), "JOBTRO_VAR_DIR")


class DatabaseErrorTest(StartupTestCase):
    def test_it_says_in_one_line_when_the_database_cannot_be_reached(self) -> None:
        result = self.run_jobtro("migrate", JOBTRO_DEBUG="1", DATABASE_URL="postgres://nobody@127.0.0.1:1/nowhere")
        self.assertEqual(result.returncode, 2)
        self.assertNotIn("Traceback", result.stderr)
        self.assertTrue(result.stderr.startswith("jobtro: database error:"), result.stderr)
        self.assertIn("DATABASE_URL", result.stderr)
