"""The caseload import page: data managers upload for their own municipality and see, in Danish,
either what was imported or every error; everyone else is refused."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from jobtro.audit.models import AuditEvent
from jobtro.measurement.identity import pseudonym_for
from jobtro.measurement.models import CaseworkerAssignment, Citizen
from jobtro.measurement.tests.test_caseload_import import FIXTURES, CaseloadImportTestCase

URL = reverse("caseload_import")


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes(), content_type="text/csv")


class ImportPageTest(CaseloadImportTestCase):
    def post(self, name: str, municipality: str = "0727", **extra: str) -> str:
        response = self.client.post(
            URL, {"municipality": municipality, "file": upload(name), **extra}, HTTP_ACCEPT_LANGUAGE="da"
        )
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def counts(self) -> tuple[int, int, int]:
        return Citizen.objects.count(), CaseworkerAssignment.objects.count(), AuditEvent.objects.count()

    def test_it_shows_the_form_in_danish_with_only_the_own_municipality(self) -> None:
        self.login("data_manager_y")
        response = self.client.get(URL, HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(response, "<h1>Indlæs sagsstamme</h1>", html=False)
        self.assertContains(response, 'enctype="multipart/form-data"')
        self.assertContains(response, '<option value="0727">Odder</option>', html=True)
        self.assertNotContains(response, "Silkeborg")
        self.assertContains(response, "Prøvekørsel")
        self.assertContains(response, "Forløbsstart")  # the table of columns

    def test_it_imports_and_shows_a_danish_summary(self) -> None:
        self.login("data_manager_y")
        page = self.post("caseload_valid.csv")
        self.assertIn("Sagsstammen for Odder er indlæst.", page)
        self.assertIn("Nye borgere: <strong>3</strong>", page)
        self.assertIn("Sagsbehandlerskift: <strong>0</strong>", page)
        self.assertIn("1 borger med sagsbehandler står ikke i filen og beholder sin nuværende sagsbehandler.", page)
        # The modulus-11 warning is shown, with its row.
        self.assertIn('data-testid="import-warning-table"', page)
        self.assertIn("<code>010110-4071</code>", page)
        self.assertTrue(Citizen.objects.filter(pseudonym=pseudonym_for("1203850006")).exists())
        event = AuditEvent.objects.latest("id")
        self.assertEqual((event.action, event.actor_id, event.via), ("bulk", self.personas["data_manager_y"].pk, "web"))

    def test_it_says_when_a_file_holds_nothing_new(self) -> None:
        self.login("data_manager_y")
        self.post("caseload_valid.csv")
        page = self.post("caseload_valid.csv")
        self.assertIn("Filen indeholder intet nyt for Odder: intet er ændret.", page)
        self.assertIn("Uændrede: <strong>3</strong>", page)

    def test_a_test_run_saves_nothing(self) -> None:
        self.login("data_manager_y")
        before = self.counts()
        page = self.post("caseload_valid.csv", dry_run="on")
        self.assertIn("Prøvekørsel for Odder: filen er gyldig. Intet er gemt.", page)
        self.assertIn("Nye borgere: <strong>3</strong>", page)
        self.assertEqual(self.counts(), before)

    def test_it_shows_every_error_in_danish_and_saves_nothing(self) -> None:
        self.login("data_manager_y")
        before = self.counts()
        page = self.post("caseload_20_errors.csv")
        self.assertIn("Filen har 20 fejl. Intet er gemt.", page)
        for heading in ("Række", "Kolonne", "Værdi", "Hvad er galt"):
            self.assertIn(f'<th scope="col">{heading}</th>', page)
        table = page.split('data-testid="import-error-table"')[1].split("</table>")[0]
        self.assertEqual(table.count("<tr>"), 21)  # the heading row and 20 errors
        self.assertIn("<code>12O385-0006</code>", table)
        self.assertIn("Ikke et CPR-nummer: forventet 10 cifre som DDMMÅÅ-SSSS.", table)
        self.assertIn("Årstallet har kun to cifre", table)
        self.assertEqual(self.counts(), before)

    def test_it_refuses_to_import_for_another_municipality(self) -> None:
        self.login("data_manager_y")
        before = self.counts()
        response = self.client.post(URL, {"municipality": self.x.code, "file": upload("caseload_valid.csv")})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.counts(), before)

    def test_it_refuses_everyone_but_data_managers(self) -> None:
        for persona in ("caseworker_a", "team_leader", "key_person", "researcher", "administrator", "outsider"):
            with self.subTest(persona=persona):
                self.login(persona)
                for municipality in (self.x.code, self.y.code):
                    response = self.client.post(
                        URL, {"municipality": municipality, "file": upload("caseload_valid.csv")}
                    )
                    self.assertEqual(response.status_code, 403)
        self.client.logout()
        response = self.client.post(URL, {"municipality": self.y.code, "file": upload("caseload_valid.csv")})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Citizen.objects.filter(pseudonym=pseudonym_for("1203850006")).exists())

    def test_it_asks_for_a_file(self) -> None:
        self.login("data_manager_y")
        response = self.client.post(URL, {"municipality": self.y.code}, HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(response, "form-error")
        self.assertContains(response, "Dette felt er påkrævet.")

    @override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=1024)
    def test_it_refuses_a_file_that_is_too_large(self) -> None:
        self.login("data_manager_y")
        big = SimpleUploadedFile("big.csv", b"x" * (20 * 1024 * 1024 + 1), content_type="text/csv")
        response = self.client.post(URL, {"municipality": self.y.code, "file": big}, HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(response, "Filen er større end 20 MB.")
