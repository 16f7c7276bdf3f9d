"""The register upload page and the job page: data managers upload for their own municipality, follow
the import's progress, and see - in Danish - either the counts or every problem with its row and column
(and download them all); nothing is written unless the whole file is valid; everyone else is refused."""

from __future__ import annotations

import gzip
import uuid
from datetime import date
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from jobtro.audit.models import AuditEvent
from jobtro.organisation.models import Membership, Project, Role, Staff
from jobtro.outcomes.models import ImportJob, Kind, OutcomeImport, OutcomeStore, StatusCodeOverride
from jobtro.outcomes.tasks import progress_reporter
from jobtro.testing import START, PersonaTestCase

URL = reverse("outcomes:import")
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Valid CPR numbers (see jobtro/lib/tests/test_outcome_files.py).
ANNA, BO, CARL, DORTE = "0211900059", "3006780058", "0302880069", "1203850006"

GOOD_STATUS = "".join(
    [
        "cpr;uge;status\n",
        f"{ANNA};2025-W07;benefit\n",
        f"{ANNA};2025-W08;job\n",
        f"{BO};2025-W07;kontanthjaelp\n",
        f"{CARL};2025-W07;su\n",
    ]
).encode()
# Five different problems, each in its own row and column; row 2 is valid.
BAD_STATUS = (
    "cpr;uge;status\n"
    f"{ANNA};2025-W07;benefit\n"
    "12345;2025-W07;benefit\n"
    f"{BO};2025-W99;benefit\n"
    f"{CARL};2025-W07;mystery\n"
    f"{ANNA};2025-W07;job\n"
    f"{DORTE};;benefit\n"
).encode()
GOOD_EVENTS = (f"cpr;hændelse;dato\n{ANNA};job;03-03-2025\n{BO};uddannelse;10-03-2025\n").encode()


def csv_file(data: bytes, name: str = "status.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


@override_settings(TASKS=IMMEDIATE)
class UploadPageTest(PersonaTestCase):
    def post(self, data: bytes, *, name: str = "status.csv", municipality: str = "0727", **extra: str) -> ImportJob:
        """Upload as data manager Y; the immediate backend runs the import before the redirect."""
        self.login("data_manager_y")
        response = self.client.post(
            URL, {"kind": Kind.STATUS, "municipality": municipality, "file": csv_file(data, name), **extra}
        )
        job = ImportJob.objects.latest("created_at")
        self.assertRedirects(response, reverse("outcomes:import_job", args=[job.pk]))
        return job

    def job_page(self, job: ImportJob) -> str:
        response = self.client.get(reverse("outcomes:import_job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="da")
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_it_shows_the_form_in_danish_with_only_the_own_municipality(self) -> None:
        StatusCodeOverride.objects.create(project=self.project, code="X17", category="job")
        self.login("data_manager_y")
        response = self.client.get(URL, HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(response, "<h1>Indlæs registerdata</h1>", html=False)
        self.assertContains(response, 'enctype="multipart/form-data"')
        self.assertContains(response, '<option value="0727">Odder</option>', html=True)
        self.assertNotContains(response, "Silkeborg")
        self.assertContains(response, "Ugentlig status")
        self.assertContains(response, "Job- og uddannelsesstarter")
        self.assertContains(response, "Data dækker til og med")
        # The accepted format and the project's status codes, with the project's own marked.
        self.assertContains(response, "2025-W07")
        table = response.content.decode().split('data-testid="status-code-table"')[1].split("</table>")[0]
        self.assertIn("<code>kontanthjaelp</code>", table)
        self.assertIn("<code>benefit_cash</code>", table)
        self.assertIn('<code>X17</code> <span class="sr-only">(</span><em>projektets egen</em>', table)
        self.assertContains(response, "Der er endnu ikke indlæst registerdata for kommunen.")

    def test_the_menu_item_is_for_data_managers_only(self) -> None:
        for persona in ("caseworker_a", "team_leader", "key_person", "data_manager_y", "researcher", "administrator"):
            with self.subTest(persona=persona):
                self.login(persona)
                page = self.client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="da").content.decode()
                self.assertEqual(f'href="{URL}"' in page, persona == "data_manager_y")

    def test_it_refuses_everyone_but_data_managers(self) -> None:
        for persona in ("caseworker_a", "team_leader", "key_person", "researcher", "administrator", "outsider"):
            with self.subTest(persona=persona):
                self.login(persona)
                self.assertEqual(self.client.get(URL).status_code, 403)
                for municipality in (self.x.code, self.y.code):
                    response = self.client.post(
                        URL, {"kind": Kind.STATUS, "municipality": municipality, "file": csv_file(GOOD_STATUS)}
                    )
                    self.assertEqual(response.status_code, 403)
        self.client.logout()
        response = self.client.post(
            URL, {"kind": Kind.STATUS, "municipality": self.y.code, "file": csv_file(GOOD_STATUS)}
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(ImportJob.objects.exists())

    def test_it_refuses_to_import_for_another_municipality(self) -> None:
        self.login("data_manager_y")
        response = self.client.post(
            URL, {"kind": Kind.STATUS, "municipality": self.x.code, "file": csv_file(GOOD_STATUS)}
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(ImportJob.objects.exists())
        self.assertFalse(OutcomeImport.objects.exists())

    def test_without_a_project_it_says_so_and_has_no_form(self) -> None:
        Project.objects.all().delete()
        self.login("data_manager_y")
        for response in (
            self.client.get(URL, HTTP_ACCEPT_LANGUAGE="da"),
            self.client.post(URL, {"kind": Kind.STATUS, "municipality": "0727", "file": csv_file(GOOD_STATUS)}),
        ):
            self.assertContains(response, 'data-testid="no-project"')
            self.assertContains(response, "Der er endnu intet projekt")
            self.assertNotContains(response, 'data-testid="import-form"')
        self.assertFalse(ImportJob.objects.exists())

    def test_a_valid_file_is_imported_and_the_job_page_shows_the_counts(self) -> None:
        job = self.post(GOOD_STATUS, name="uge7.csv")
        job.refresh_from_db()
        self.assertEqual(job.state, ImportJob.State.DONE)
        self.assertEqual(bytes(job.upload), b"", "the uploaded bytes (CPR numbers) are dropped")
        self.assertIsNotNone(job.finished_at)
        record = OutcomeImport.objects.get()
        self.assertEqual(job.result, record)
        self.assertEqual((record.rows, record.persons, record.added, record.imported_via), (4, 3, 4, "web"))
        self.assertEqual(record.imported_by, self.personas["data_manager_y"])
        self.assertEqual(record.store.municipality, self.y)
        self.assertEqual(record.store.project, self.project)

        page = self.job_page(job)
        self.assertIn("Filen er indlæst for Odder.", page)
        self.assertIn("Rækker i filen: <strong>4</strong>", page)
        self.assertIn("Borgere i filen: <strong>3</strong>", page)
        self.assertIn("Borgeruger tilføjet: <strong>4</strong>", page)
        self.assertIn("Borgeruger ændret: <strong>0</strong>", page)
        self.assertNotIn("htmx", page, "a finished job is not polled")

        event = AuditEvent.objects.filter(action=AuditEvent.Action.BULK).get()
        self.assertEqual((event.actor_id, event.via, event.municipality_code), (job.requested_by_id, "web", "0727"))

        # The upload page lists the import (weeks as ISO labels) and the upload.
        page = self.client.get(URL, HTTP_ACCEPT_LANGUAGE="da").content.decode()
        imports = page.split('data-testid="import-table"')[1].split("</table>")[0]
        self.assertIn("uge7.csv", imports)
        self.assertIn("2025-W07 – 2025-W08", imports)
        self.assertIn("Data_Manager_Y", imports)
        self.assertIn(reverse("outcomes:import_job", args=[job.pk]), page)

    def test_the_same_file_again_changes_nothing_and_says_when_it_was_imported(self) -> None:
        first = self.post(GOOD_STATUS)
        again = self.post(GOOD_STATUS)
        again.refresh_from_db()
        self.assertEqual((again.state, again.noop), (ImportJob.State.DONE, True))
        self.assertEqual(again.result_id, first.result_id)
        self.assertEqual(OutcomeImport.objects.count(), 1)
        page = self.job_page(again)
        when = f"{OutcomeImport.objects.get().imported_at.astimezone():%Y-%m-%d}"
        self.assertIn("Intet er ændret: filen er indlæst før", page)
        self.assertIn(when, page)

    def test_every_problem_is_shown_with_row_and_column_and_nothing_is_written(self) -> None:
        job = self.post(BAD_STATUS, name="fejl.csv")
        job.refresh_from_db()
        self.assertEqual((job.state, job.problem_count), (ImportJob.State.FAILED, 5))
        self.assertEqual(bytes(job.upload), b"")
        self.assertFalse(OutcomeImport.objects.exists())
        self.assertFalse(OutcomeStore.objects.exclude(data_parquet=b"").exists())
        self.assertFalse(AuditEvent.objects.filter(action=AuditEvent.Action.BULK).exists())

        page = self.job_page(job)
        self.assertIn("Filen har 5 problemer. Intet er gemt.", page)
        self.assertNotIn('data-testid="import-errors-more"', page)
        table = page.split('data-testid="import-error-table"')[1].split("</table>")[0]
        self.assertEqual(table.count("<tr>"), 6)  # the heading row and five problems
        expected = [
            (3, "cpr", "12345", "Ikke et gyldigt CPR-nummer."),
            (4, "uge", "2025-W99", "Det ISO-år har ikke den uge"),
            (5, "status", "mystery", "Statuskoden står ikke på projektets statuskodeliste"),
            (6, "cpr", ANNA[:6] + "-xxxx", "Samme borger og uge står i en tidligere række."),  # never stored whole
            (7, "uge", "", "Værdien mangler."),
        ]
        rows = table.split("<tr>")[2:]
        for (row, column, value, message), html in zip(expected, rows, strict=True):
            self.assertIn(f'<td data-title="Række" class="num">{row}</td>', html)
            self.assertIn(f'<td data-title="Kolonne">{column}</td>', html)
            if value:
                self.assertIn(f"<code>{value}</code>", html)
            self.assertIn(message, html)
        self.assertIn('data-testid="unknown-codes"', page)
        self.assertIn("mystery", page.split('data-testid="unknown-codes"')[1])
        # Showing the file's values (CPR numbers among them) is logged as a read.
        self.assertTrue(AuditEvent.objects.filter(action=AuditEvent.Action.READ, object_id=str(job.pk)).exists())

    def test_the_problems_download_holds_every_problem_in_danish(self) -> None:
        job = self.post(BAD_STATUS, name="fejl.csv")
        response = self.client.get(reverse("outcomes:import_job_problems", args=[job.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn('attachment; filename="fejl-problemer.csv"', response["Content-Disposition"])
        self.assertEqual(response["Cache-Control"], "private, no-store")
        text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
        lines = text.strip().splitlines()
        self.assertEqual(lines[0], "Række;Kolonne;Værdi;Hvad er galt")
        self.assertEqual(len(lines), 6)
        self.assertTrue(lines[1].startswith("3;cpr;12345;Ikke et gyldigt CPR-nummer."))

    def test_a_file_with_very_many_problems_shows_the_first_500_and_downloads_all(self) -> None:
        rows = "".join(f"12345{i};2025-W07;benefit\n" for i in range(600))
        job = self.post(f"cpr;uge;status\n{rows}".encode(), name="mange.csv")
        job.refresh_from_db()
        self.assertEqual((job.problem_count, len(job.problems)), (600, 500))
        page = self.job_page(job)
        self.assertIn("600 problemer i alt; de første 500 vises.", page)
        table = page.split('data-testid="import-error-table"')[1].split("</table>")[0]
        self.assertEqual(table.count("<tr>"), 501)
        response = self.client.get(reverse("outcomes:import_job_problems", args=[job.pk]))
        text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
        self.assertEqual(len(text.strip().splitlines()), 601)

    def test_an_events_file_needs_the_end_of_its_data(self) -> None:
        self.login("data_manager_y")
        response = self.client.post(
            URL,
            {"kind": Kind.EVENTS, "municipality": "0727", "file": csv_file(GOOD_EVENTS, "starter.csv")},
            HTTP_ACCEPT_LANGUAGE="da",
        )
        self.assertContains(response, "Angiv den sidste dag, filen med starter dækker")
        response = self.client.post(
            URL,
            {
                "kind": Kind.EVENTS,
                "municipality": "0727",
                "file": csv_file(GOOD_EVENTS, "starter.csv"),
                "covers_from": "2025-04-01",
                "covers_until": "2025-03-31",
            },
            HTTP_ACCEPT_LANGUAGE="da",
        )
        self.assertContains(response, "Den første dag ligger efter den sidste dag.")
        self.assertFalse(ImportJob.objects.exists())

    def test_an_events_file_is_imported_with_its_period(self) -> None:
        job = self.post(GOOD_EVENTS, name="starter.csv", kind=Kind.EVENTS, covers_until="2025-03-31")
        job.refresh_from_db()
        self.assertEqual(job.state, ImportJob.State.DONE, job.problems)
        self.assertEqual((job.kind, job.covers_until, job.covers_from), (Kind.EVENTS, date(2025, 3, 31), None))
        record = OutcomeImport.objects.get()
        self.assertEqual((record.covers_from, record.covers_until), (date(2025, 3, 3), date(2025, 3, 31)))
        page = self.job_page(job)
        self.assertIn("Starter tilføjet: <strong>2</strong>", page)
        self.assertIn("Filen dækker til og med", page)

    def test_a_status_upload_ignores_the_event_dates(self) -> None:
        job = self.post(GOOD_STATUS, covers_until="2025-03-31")
        job.refresh_from_db()
        self.assertIsNone(job.covers_until)
        self.assertEqual(job.state, ImportJob.State.DONE)

    def test_it_asks_for_a_file(self) -> None:
        self.login("data_manager_y")
        response = self.client.post(URL, {"kind": Kind.STATUS, "municipality": "0727"}, HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(response, "form-error")
        self.assertContains(response, "Dette felt er påkrævet.")

    @mock.patch("jobtro.outcomes.views.MAX_UPLOAD_MB", 1)
    def test_it_refuses_a_file_that_is_too_large(self) -> None:
        self.login("data_manager_y")
        big = csv_file(b"x" * (1024 * 1024 + 1), "big.csv")
        response = self.client.post(
            URL, {"kind": Kind.STATUS, "municipality": "0727", "file": big}, HTTP_ACCEPT_LANGUAGE="da"
        )
        self.assertContains(response, "Filen er større end 1 MB.")
        self.assertFalse(ImportJob.objects.exists())


class JobPageAccessTest(PersonaTestCase):
    """The job page, its progress and its problems: the requester and the municipality's data managers."""

    def setUp(self) -> None:
        self.job = ImportJob.objects.create(
            project=self.project,
            kind=Kind.STATUS,
            municipality=self.y,
            requested_by=self.personas["data_manager_y"],
            file_name="status.csv",
            upload=GOOD_STATUS,
        )

    def urls(self, job: ImportJob) -> list[str]:
        return [
            reverse("outcomes:import_job", args=[job.pk]),
            reverse("outcomes:import_job_status", args=[job.pk]),
        ]

    def test_another_municipalitys_job_is_not_found(self) -> None:
        x_manager = Staff.objects.create(username="data_manager_x")
        Membership.objects.create(staff=x_manager, role=Role.DATA_MANAGER, municipality=self.x, start=START)
        x_job = ImportJob.objects.create(
            project=self.project, kind=Kind.STATUS, municipality=self.x, requested_by=x_manager, file_name="x.csv"
        )
        self.login("data_manager_y")
        for url in self.urls(x_job):
            self.assertEqual(self.client.get(url).status_code, 404, url)
        self.client.force_login(x_manager)
        for url in self.urls(self.job):
            self.assertEqual(self.client.get(url).status_code, 404, url)
        for url in self.urls(x_job):
            self.assertEqual(self.client.get(url).status_code, 200, url)

    def test_another_data_manager_of_the_municipality_sees_it(self) -> None:
        colleague = Staff.objects.create(username="data_manager_y2")
        Membership.objects.create(staff=colleague, role=Role.DATA_MANAGER, municipality=self.y, start=START)
        self.client.force_login(colleague)
        for url in self.urls(self.job):
            self.assertEqual(self.client.get(url).status_code, 200, url)

    def test_nobody_else_finds_it(self) -> None:
        for persona in ("caseworker_a", "team_leader", "key_person", "researcher", "administrator", "outsider"):
            self.login(persona)
            for url in [*self.urls(self.job), reverse("outcomes:import_job_problems", args=[self.job.pk])]:
                self.assertEqual(self.client.get(url).status_code, 404, f"{url} as {persona}")
        self.login("data_manager_y")
        unknown = uuid.uuid4()
        self.assertEqual(self.client.get(reverse("outcomes:import_job", args=[unknown])).status_code, 404)

    def test_a_job_without_problems_has_no_download(self) -> None:
        self.login("data_manager_y")
        self.assertEqual(self.client.get(reverse("outcomes:import_job_problems", args=[self.job.pk])).status_code, 404)

    def test_a_running_job_shows_its_progress_and_polls(self) -> None:
        self.login("data_manager_y")
        progress_reporter(self.job.pk, Kind.STATUS)("check")
        ImportJob.objects.filter(pk=self.job.pk).update(state=ImportJob.State.RUNNING)
        page = self.client.get(reverse("outcomes:import_job", args=[self.job.pk]), HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(page, "Trin 2 af 6: Kontrollerer hver værdi")
        self.assertContains(page, '<progress max="100" value="17"')
        self.assertContains(page, 'hx-trigger="every 1s"')
        self.assertContains(page, "htmx.min.js")
        self.assertContains(page, '<noscript><meta http-equiv="refresh" content="2"></noscript>', html=False)

    def test_the_poll_answers_no_change_progress_or_reload(self) -> None:
        self.login("data_manager_y")
        url = reverse("outcomes:import_job_status", args=[self.job.pk])
        first = self.client.get(url, HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(first, "Venter på, at indlæsningen begynder.")
        seen = first.content.decode().split('name="seen" value="')[1].split('"')[0]
        self.assertEqual(self.client.get(url, {"seen": seen}).status_code, 204)

        ImportJob.objects.filter(pk=self.job.pk).update(state=ImportJob.State.RUNNING)
        progress_reporter(self.job.pk, Kind.STATUS)("sort")
        moved = self.client.get(url, {"seen": seen}, HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(moved, "Trin 4 af 6: Sorterer")
        self.assertNotIn("HX-Refresh", moved)

        ImportJob.objects.filter(pk=self.job.pk).update(state=ImportJob.State.DONE, progress=1.0)
        done = self.client.get(url, {"seen": seen})
        self.assertEqual((done.status_code, done["HX-Refresh"]), (200, "true"))

    def test_an_unexpected_failure_says_so_without_details(self) -> None:
        ImportJob.objects.filter(pk=self.job.pk).update(
            state=ImportJob.State.FAILED, message="KeyError: '0211900059'", upload=b""
        )
        self.login("data_manager_y")
        page = self.client.get(reverse("outcomes:import_job", args=[self.job.pk]), HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(page, "Indlæsningen stoppede på grund af en uventet fejl. Intet er gemt.")
        self.assertContains(page, str(self.job.pk))
        self.assertNotContains(page, "0211900059")

    def test_the_problems_download_is_gzip_free(self) -> None:
        ImportJob.objects.filter(pk=self.job.pk).update(
            state=ImportJob.State.FAILED, problem_count=1, problems_csv=gzip.compress("Række;x\n".encode())
        )
        self.login("data_manager_y")
        response = self.client.get(reverse("outcomes:import_job_problems", args=[self.job.pk]))
        self.assertEqual(b"".join(response.streaming_content), "Række;x\n".encode())  # type: ignore[attr-defined]


@override_settings(TASKS=IMMEDIATE)
class DataManagerHomeTest(PersonaTestCase):
    def test_the_home_page_says_how_far_the_register_data_go_and_links_to_the_upload(self) -> None:
        self.login("data_manager_y")
        home = self.client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="da").content.decode()
        self.assertIn("Ingen registerdata endnu", home)
        self.assertIn(f'href="{URL}"', home)
        self.client.post(URL, {"kind": Kind.STATUS, "municipality": "0727", "file": csv_file(GOOD_STATUS)})
        home = self.client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="da").content.decode()
        self.assertIn("2025-W08", home.split('data-testid="home-outcomes-until"')[1].split("</p>")[0])
