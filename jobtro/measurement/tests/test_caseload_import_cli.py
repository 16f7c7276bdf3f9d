"""`jobtro import-caseload FILE --municipality CODE [--dry-run] [--complete]`: exit 0 when imported (or,
with --dry-run, importable), otherwise every error on a line of its own and nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import SimpleTestCase
from django.utils import translation

from jobtro.audit.models import AuditEvent
from jobtro.measurement.identity import pseudonym_for
from jobtro.measurement.models import CaseworkerAssignment, Citizen
from jobtro.measurement.tests.test_caseload_import import FIXTURES, CaseloadImportTestCase

BASE_DIR = Path(__file__).resolve().parents[3]
VALID = str(FIXTURES / "caseload_valid.csv")
ERRORS = str(FIXTURES / "caseload_20_errors.csv")


class ImportCommandTest(CaseloadImportTestCase):
    def command(self, *args: str) -> tuple[str, str]:
        out, err = StringIO(), StringIO()
        with translation.override("da"):
            call_command("import-caseload", *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    def failing(self, *args: str) -> tuple[CommandError, str]:
        err = StringIO()
        with translation.override("da"), self.assertRaises(CommandError) as caught:
            call_command("import-caseload", *args, stdout=StringIO(), stderr=err)
        return caught.exception, err.getvalue()

    def test_it_imports_a_valid_file_and_logs_the_cli_actor(self) -> None:
        out, err = self.command(VALID, "--municipality", "0727")
        self.assertEqual(err, "")
        lines = out.splitlines()
        self.assertEqual(len(lines), 2)
        self.assertTrue(lines[0].startswith('advarsel: række 4, kolonne "CPR-nr.", værdi "010110-4071": '), lines[0])
        self.assertIn("Sagsstammen for Odder er indlæst. 3 rækker – nye borgere: 3", lines[1])
        self.assertTrue(Citizen.objects.filter(pseudonym=pseudonym_for("1203850006"), municipality=self.y).exists())
        event = AuditEvent.objects.latest("id")
        self.assertEqual((event.action, event.via), (AuditEvent.Action.BULK, "cli"))
        self.assertTrue(event.actor_label.startswith("jobtro import-caseload"))

    def test_it_accepts_a_code_without_its_leading_zero(self) -> None:
        out, _err = self.command(VALID, "--municipality", "727")
        self.assertIn("Odder", out)

    def test_a_dry_run_exits_cleanly_and_writes_nothing(self) -> None:
        before = (Citizen.objects.count(), CaseworkerAssignment.objects.count(), AuditEvent.objects.count())
        out, _err = self.command(VALID, "--municipality", "0727", "--dry-run")
        self.assertIn("Prøvekørsel for Odder, intet gemt: filen er gyldig.", out)
        self.assertIn("nye borgere: 3", out)
        self.assertEqual(
            (Citizen.objects.count(), CaseworkerAssignment.objects.count(), AuditEvent.objects.count()), before
        )

    def test_it_prints_every_error_on_its_own_line_and_writes_nothing(self) -> None:
        before = (Citizen.objects.count(), CaseworkerAssignment.objects.count(), AuditEvent.objects.count())
        for dry_run in ([], ["--dry-run"]):
            with self.subTest(dry_run=dry_run):
                error, err = self.failing(ERRORS, "--municipality", "0727", *dry_run)
                self.assertEqual(error.returncode, 1)
                self.assertEqual(str(error), "20 fejl i filen; intet er indlæst.")
                lines = err.splitlines()
                self.assertEqual(len(lines), 20)
                rows = [int(line.split(",")[0].removeprefix("række ")) for line in lines]
                self.assertEqual(rows, list(range(3, 23)))
                self.assertEqual(
                    lines[2],
                    'række 5, kolonne "CPR-nummer", værdi "211900059": Ikke et CPR-nummer: kun 9 cifre. '
                    "Er det foranstillede 0 forsvundet? (Excel fjerner det, når kolonnen er formateret som tal.)",
                )
        self.assertEqual(
            (Citizen.objects.count(), CaseworkerAssignment.objects.count(), AuditEvent.objects.count()), before
        )

    def test_it_ends_missing_citizens_assignments_only_when_told_the_file_is_complete(self) -> None:
        out, _err = self.command(VALID, "--municipality", "0727")
        self.assertIn("Borgere, der ikke står i filen og bliver ladt uændret: 1.", out)
        self.assertTrue(CaseworkerAssignment.objects.current().filter(citizen=self.citizen_y).exists())
        out, _err = self.command(VALID, "--municipality", "0727", "--complete")
        self.assertIn("forlader deres sagsbehandlers sagsstamme: 1.", out)
        self.assertFalse(CaseworkerAssignment.objects.current().filter(citizen=self.citizen_y).exists())

    def test_it_refuses_an_unknown_municipality_in_one_line(self) -> None:
        for code in ("9999", "abc", "411"):
            with self.subTest(code=code):
                error, err = self.failing(VALID, "--municipality", code)
                self.assertEqual(error.returncode, 2)
                self.assertEqual(err, "")
                self.assertNotIn("\n", str(error))
                self.assertTrue(str(error).startswith("--municipality:"), str(error))

    def test_it_refuses_a_file_it_cannot_open_in_one_line(self) -> None:
        error, _err = self.failing(str(FIXTURES / "no-such-file.csv"), "--municipality", "0727")
        self.assertEqual(error.returncode, 2)
        self.assertIn("no-such-file.csv", str(error))


@pytest.mark.slow
class ImportCommandProcessTest(SimpleTestCase):
    """The real `jobtro` process on a fresh SQLite database: exit codes as a script sees them."""

    def run_jobtro(self, var_dir: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JOBTRO_", "DATABASE_URL", "LANG", "LC_"))}
        env.update(JOBTRO_DEBUG="1", JOBTRO_VAR_DIR=var_dir)
        return subprocess.run(  # noqa: S603 - our own CLI; the arguments are the test's own
            [sys.executable, "-m", "jobtro.cli", *args],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    def test_it_exits_0_when_imported_1_with_every_error_and_2_for_a_bad_municipality(self) -> None:
        with tempfile.TemporaryDirectory() as var_dir:
            self.assertEqual(self.run_jobtro(var_dir, "migrate", "--no-input").returncode, 0)
            setup = (
                "from jobtro.organisation.models import Membership, Role, Staff\n"
                "for name in ('caseworker_y', 'hanne_y', 'ulla_y'):\n"
                "    s = Staff.objects.create(username=name, email=name + '@odder.dk')\n"
                "    Membership.objects.create(\n"
                "        staff=s, role=Role.CASEWORKER, municipality_id='0727', start='2020-01-01')\n"
                "Staff.objects.filter(username='hanne_y').update(email='hanne.holm@odder.dk')\n"
            )
            self.assertEqual(self.run_jobtro(var_dir, "shell", "-c", setup).returncode, 0)

            dry = self.run_jobtro(var_dir, "import-caseload", VALID, "--municipality", "0727", "--dry-run")
            self.assertEqual(dry.returncode, 0, dry.stderr)
            self.assertIn("Prøvekørsel", dry.stdout)

            done = self.run_jobtro(var_dir, "import-caseload", VALID, "--municipality", "0727")
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("nye borgere: 3", done.stdout)

            bad = self.run_jobtro(var_dir, "import-caseload", ERRORS, "--municipality", "0727")
            self.assertEqual(bad.returncode, 1)
            self.assertNotIn("Traceback", bad.stderr)
            lines = bad.stderr.splitlines()
            errors, summary = lines[:-1], lines[-1]
            self.assertGreaterEqual(len(errors), 15)
            self.assertTrue(all(line.startswith("række ") for line in errors), errors)
            self.assertEqual(summary, f"CommandError: {len(errors)} fejl i filen; intet er indlæst.")

            unknown = self.run_jobtro(var_dir, "import-caseload", VALID, "--municipality", "9999")
            self.assertEqual(unknown.returncode, 2)
            self.assertEqual(unknown.stderr.count("\n"), 1, unknown.stderr)
            self.assertIn("9999", unknown.stderr)
