"""The export page (researchers only: everyone else gets 403 and no export) and the
`jobtro export-answers` command; both write the export to the audit log."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import zipfile
from pathlib import Path
from unittest import mock

import pyreadstat
from django.core.management import CommandError, call_command
from django.urls import reverse

from jobtro.audit.models import AuditEvent
from jobtro.measurement import export
from jobtro.measurement.tests.test_export_fixtures import CITIZEN_SECRETS, ExportFixture

NOT_RESEARCHERS = ["caseworker_a", "caseworker_b", "team_leader", "key_person", "data_manager_y", "administrator"]


def _exports() -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.filter(action=AuditEvent.Action.BULK) if "export" in e.detail]


class ExportPageTest(ExportFixture):
    def post(self, **data: object) -> object:
        return self.client.post(reverse("answer_export"), data)

    def test_it_lets_only_researchers_see_or_download_an_export(self) -> None:
        url = reverse("answer_export")
        for persona in [*NOT_RESEARCHERS, "outsider"]:
            self.login(persona)
            self.assertEqual(self.client.get(url).status_code, 403, persona)
            response = self.client.post(url, {"waves": [self.wave0.pk], "format": "csv"})
            self.assertEqual(response.status_code, 403, persona)
            self.assertNotIn(b"PK", response.content[:2], persona)
        self.client.logout()
        self.assertEqual(self.client.post(url, {"waves": [self.wave0.pk], "format": "csv"}).status_code, 302)
        self.assertEqual(_exports(), [], "nothing was exported")

    def test_it_offers_the_waves_with_the_opened_ones_chosen(self) -> None:
        self.login("researcher")
        response = self.client.get(reverse("answer_export"), HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(response, "Eksportér svar")
        self.assertContains(response, f'id="wave-{self.wave0.pk}" value="{self.wave0.pk}" checked')
        self.assertContains(response, f'id="wave-{self.wave1.pk}" value="{self.wave1.pk}" checked')
        later = self.project.waves.get(number=2)
        self.assertContains(response, f'id="wave-{later.pk}" value="{later.pk}">')
        self.assertContains(response, 'id="format-csv" value="csv" checked')

    def test_it_downloads_a_zip_with_data_and_codebook_and_records_it(self) -> None:
        researcher = self.login("researcher")
        response = self.client.post(reverse("answer_export"), {"waves": [self.wave0.pk], "format": "sav"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/zip")
        self.assertIn('attachment; filename="jobtro-svar-sav-', response["Content-Disposition"])
        self.assertEqual(response["Cache-Control"], "no-store")
        content = b"".join(response.streaming_content)
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            self.assertEqual(
                sorted(archive.namelist()),
                ["answers_general.sav", "answers_specific.sav", "codebook.csv", "codebook.md"],
            )
            directory = Path(tempfile.mkdtemp())
            self.addCleanup(shutil.rmtree, directory)
            archive.extractall(directory)
        frame, _ = pyreadstat.read_sav(str(directory / "answers_specific.sav"), user_missing=True)
        self.assertEqual(sorted(frame["wave"].unique()), [0])
        self.assertIn(-1, frame["specific_belief"].tolist())
        for secret in CITIZEN_SECRETS:
            self.assertNotIn(secret.encode(), content)
        [event] = _exports()
        self.assertEqual((event.actor_id, event.via, event.object_type), (researcher.pk, "web", "measurement.Answer"))
        detail = event.detail["export"]
        self.assertEqual(detail["format"], "sav")
        self.assertEqual(detail["waves"], [{"project": self.project.pk, "number": 0}])
        self.assertEqual(detail["rows"], {"specific": 4, "general": 3})

    def test_it_explains_a_missing_choice_in_danish_and_exports_nothing(self) -> None:
        self.login("researcher")
        response = self.client.post(reverse("answer_export"), {"format": "pdf"}, HTTP_ACCEPT_LANGUAGE="da")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Vælg mindst én måling.")
        self.assertContains(response, "Vælg et af de viste filformater.")
        self.assertEqual(_exports(), [])

    def test_it_offers_other_formats_when_a_table_is_too_long_for_excel(self) -> None:
        self.login("researcher")
        with mock.patch.object(export, "XLSX_MAX_ROWS", 5):
            data = {"waves": [self.wave0.pk, self.wave1.pk], "format": "xlsx"}
            response = self.client.post(reverse("answer_export"), data, HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(response, "Eksporten har 8 rækker i én tabel, flere end Excel kan rumme.")
        self.assertEqual(_exports(), [])


class ExportCommandTest(ExportFixture):
    def setUp(self) -> None:
        self.out = Path(tempfile.mkdtemp(prefix="jobtro-export-cli-"))
        self.addCleanup(shutil.rmtree, self.out)

    def run_command(self, *args: str) -> str:
        stdout = io.StringIO()
        call_command("export-answers", *args, stdout=stdout)
        return stdout.getvalue()

    def test_it_writes_the_files_and_codebook_and_records_the_export(self) -> None:
        output = self.run_command("--format", "csv", "--out", str(self.out))
        self.assertEqual(
            sorted(p.name for p in self.out.iterdir()),
            ["answers_general.csv", "answers_specific.csv", "codebook.csv", "codebook.md"],
        )
        self.assertIn("Exported waves 0, 1 (specific: 8 rows, general: 6 rows)", output)
        with (self.out / "answers_specific.csv").open(encoding="utf-8-sig", newline="") as f:
            self.assertEqual(len(list(csv.DictReader(f))), 8)
        [event] = _exports()
        self.assertEqual((event.actor_label, event.via), ("jobtro export-answers", "cli"))
        self.assertEqual(event.detail["export"]["destination"], str(self.out.resolve()))

    def test_it_exports_the_chosen_waves_only(self) -> None:
        self.run_command("--format", "dta", "--out", str(self.out), "--wave", "1")
        frame, _ = pyreadstat.read_dta(str(self.out / "answers_specific.dta"))
        self.assertEqual(set(frame["wave"]), {1})

    def test_it_names_an_unknown_wave_and_writes_nothing(self) -> None:
        with self.assertRaisesMessage(CommandError, "--wave: Troen på borgernes jobchance has no wave 42"):
            self.run_command("--format", "xlsx", "--out", str(self.out), "--wave", "42")
        self.assertEqual(list(self.out.iterdir()), [])
        self.assertEqual(_exports(), [])

    def test_it_keeps_existing_files_unless_forced(self) -> None:
        (self.out / "codebook.md").write_text("mine", encoding="utf-8")
        with self.assertRaisesMessage(CommandError, "already holds codebook.md; use --force"):
            self.run_command("--format", "xlsx", "--out", str(self.out))
        self.assertEqual((self.out / "codebook.md").read_text(encoding="utf-8"), "mine")
        self.run_command("--format", "xlsx", "--out", str(self.out), "--force")
        self.assertIn("Kodebog", (self.out / "codebook.md").read_text(encoding="utf-8"))
        self.assertTrue((self.out / "answers.xlsx").exists())

    def test_it_refuses_xlsx_beyond_excels_rows(self) -> None:
        with (
            mock.patch.object(export, "XLSX_MAX_ROWS", 5),
            self.assertRaisesMessage(CommandError, "--format: the specific table has 8 rows; XLSX holds at most 4"),
        ):
            self.run_command("--format", "xlsx", "--out", str(self.out))
        self.assertEqual(_exports(), [])
