"""`jobtro import-status`, `jobtro import-events` and `jobtro build-spells` as a data manager or an
operator runs them: exit codes, every problem on its own line, the summary, and the progress lines."""

from __future__ import annotations

import gzip
import io
import tempfile
from pathlib import Path

import polars as pl
from django.core.management import call_command
from django.core.management.base import CommandError

from jobtro.outcomes.models import Kind, OutcomeImport, OutcomeStore, SpellBuild, StatusCodeOverride
from jobtro.testing import PersonaTestCase

GOOD = b"cpr;uge;status\n0101901235;2025-W02;benefit\n0101901235;2025-W03;job\n"
BAD = b"cpr;uge;status\n3201901234;2025-W02;benefit\n0101901235;2025-W99;Q9\n"


class CommandTests(PersonaTestCase):
    def setUp(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def file(self, name: str, data: bytes) -> str:
        path = Path(self.dir.name) / name
        path.write_bytes(data)
        return str(path)

    def run_command(self, *args: str) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        call_command(*args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    def test_import_status_prints_the_counts_and_a_line_per_step(self) -> None:
        out, err = self.run_command("import-status", self.file("dream.csv", GOOD), "--municipality", "740")
        self.assertIn("Silkeborg", out)
        self.assertIn("2", out)
        for step in ("read", "check", "link", "sort", "merge", "save"):
            self.assertIn(f"] {step}:", err)  # not a terminal: one line per step with its time
        store = OutcomeStore.objects.get(kind=Kind.STATUS, municipality=self.x)
        self.assertEqual(store.rows, 2)
        again, _ = self.run_command("import-status", self.file("dream.csv", GOOD), "--municipality", "0740")
        self.assertIn("import", again.lower())
        self.assertEqual(OutcomeImport.objects.count(), 1)

    def test_a_national_extract_in_parquet(self) -> None:
        frame = pl.DataFrame({"cpr": ["0101901235"], "iso_year": [2025], "iso_week": [2], "status": ["job"]})
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        self.run_command("import-status", self.file("register.parquet", buffer.getvalue()))
        store = OutcomeStore.objects.get(kind=Kind.STATUS, municipality=None)
        self.assertEqual((store.rows, store.persons), (1, 1))

    def test_problems_exit_with_1_and_print_every_one_and_write_nothing(self) -> None:
        problems_file = str(Path(self.dir.name) / "problems.csv.gz")
        with self.assertRaises(CommandError) as raised:
            self.run_command(
                "import-status", self.file("bad.csv", BAD), "--municipality", "0740", "--problems", problems_file
            )
        self.assertEqual(raised.exception.returncode, 1)
        self.assertFalse(OutcomeImport.objects.exists())
        rows = gzip.decompress(Path(problems_file).read_bytes()).decode("utf-8-sig").splitlines()
        self.assertEqual(len(rows), 1 + 3)  # heading + CPR, week, unknown code
        self.assertTrue(rows[1].startswith("2;cpr;3201901234;"))

    def test_the_problem_lines_go_to_stderr(self) -> None:
        err = io.StringIO()
        with self.assertRaises(CommandError):
            call_command("import-status", self.file("bad.csv", BAD), stdout=io.StringIO(), stderr=err)
        lines = [line for line in err.getvalue().splitlines() if line.startswith(("row", "række"))]
        self.assertEqual(len(lines), 3)
        self.assertIn("Q9", err.getvalue())

    def test_a_mapping_file_is_saved_with_the_import(self) -> None:
        mapping = self.file("mapping.csv", b"kode;kategori\nQ9;benefit_sickness\n")
        data = self.file("q9.csv", b"cpr;uge;status\n0101901235;2025-W02;Q9\n")
        self.run_command("import-status", data, "--municipality", "0740", "--mapping", mapping)
        self.assertEqual(StatusCodeOverride.objects.get().category, "benefit_sickness")
        bad_mapping = self.file("bad-mapping.csv", b"kode;kategori\nQ8;holiday\n")
        with self.assertRaises(CommandError) as raised:
            self.run_command("import-status", data, "--mapping", bad_mapping)
        self.assertEqual(raised.exception.returncode, 1)

    def test_bad_arguments_exit_with_2(self) -> None:
        for args in (
            ("import-status", str(Path(self.dir.name) / "missing.csv")),
            ("import-status", self.file("a.csv", GOOD), "--municipality", "9999"),
            ("import-status", self.file("a.csv", GOOD), "--project", "999"),
            ("import-events", self.file("e.csv", GOOD), "--municipality", "0740", "--until", "31-02-2025"),
            ("build-spells", "--k", "3", "--n", "2"),
        ):
            with self.subTest(args=args), self.assertRaises(CommandError) as raised:
                self.run_command(*args)
            self.assertEqual(raised.exception.returncode, 2)

    def test_import_events_and_build_spells(self) -> None:
        events = self.file("forloeb.csv", "cpr;hændelse;startdato\n0101901235;Job;03-02-2025\n".encode())
        out, _ = self.run_command("import-events", events, "--municipality", "0740", "--until", "31-12-2025")
        self.assertIn("Silkeborg", out)
        out, err = self.run_command("build-spells", "--k", "2", "--n", "4", "--horizon", "26")
        build = SpellBuild.objects.get()
        self.assertEqual((build.k, build.n, build.horizon_weeks), (2, 4, 26))
        self.assertIn("] counting:", err)
