"""The caseload import (measurement.caseload_import): every error at once, all or nothing, pseudonyms
on the way in, idempotent re-imports and caseworker changes with dates."""

from __future__ import annotations

import codecs
from datetime import date, datetime
from pathlib import Path

from django.db import transaction
from django.utils import translation

from jobtro.audit.models import AuditEvent
from jobtro.lib.tests.test_tabular import csv_bytes, xlsx_bytes
from jobtro.measurement.caseload_import import ImportResult, Problem, import_caseload, problem_line
from jobtro.measurement.identity import cipher, pseudonym_for
from jobtro.measurement.models import CaseworkerAssignment, Citizen
from jobtro.organisation.models import Membership, Role, Staff
from jobtro.testing import START, PersonaTestCase

FIXTURES = Path(__file__).parent / "fixtures"
DAY = date(2025, 3, 3)  # the import date in these tests
LATER = date(2025, 4, 7)
HEADER = ["CPR-nummer", "Navn", "Sagsbehandler", "Målgruppe", "Forløbsstart"]
SOEREN, BJOERN = "1203850006", "0211900059"


def caseload_csv(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ";", header: bool = True) -> bytes:
    return csv_bytes([HEADER, *rows] if header else rows, encoding=encoding, delimiter=delimiter)


def caseload_xlsx(rows: list[list[object]]) -> bytes:
    return xlsx_bytes(rows)


class CaseloadImportTestCase(PersonaTestCase):
    """Imports into municipality Y (Odder), whose data manager is a persona."""

    caseworker_y2: Staff
    caseworker_y3: Staff
    former_y: Staff

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()

        def caseworker_in_y(username: str, email: str, end: date | None = None) -> Staff:
            person = Staff.objects.create(username=username, email=email)
            Membership.objects.create(
                staff=person, role=Role.CASEWORKER, municipality=cls.y, unit=cls.team_y1, start=START, end=end
            )
            return person

        cls.caseworker_y2 = caseworker_in_y("hanne_y", "Hanne.Holm@Odder.dk")
        # Two caseworkers sharing a team mailbox: the address cannot say which one is meant.
        cls.caseworker_y3 = caseworker_in_y("ulla_y", "team@odder.dk")
        Staff.objects.filter(pk=cls.caseworker_y.pk).update(email="team@odder.dk")
        cls.former_y = caseworker_in_y("former_y", "former@odder.dk", end=date(2025, 2, 1))

    def run_import(self, data: bytes, *, on: date = DAY, **options: bool) -> ImportResult:
        with translation.override("da"):
            return import_caseload(data, self.y, on=on, **options)

    def counts(self) -> tuple[int, int, int]:
        return Citizen.objects.count(), CaseworkerAssignment.objects.count(), AuditEvent.objects.count()

    def citizen(self, cpr: str) -> Citizen:
        return Citizen.objects.get(pseudonym=pseudonym_for(cpr))

    def name_of(self, citizen: Citizen) -> str:
        return cipher().decrypt(citizen.name_encrypted)

    def assertImported(self, result: ImportResult) -> None:
        self.assertEqual(result.errors, [], "\n".join(problem_line(p) for p in result.errors))
        self.assertTrue(result.imported)


class ReadingTest(CaseloadImportTestCase):
    def test_it_imports_each_encoding_delimiter_and_date_form(self) -> None:
        forms = {"dd-mm-yyyy": "%d-%m-%Y", "dd.mm.yyyy": "%d.%m.%Y", "dd/mm/yyyy": "%d/%m/%Y", "ISO": "%Y-%m-%d"}
        for encoding, bom in (("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("cp1252", b"")):
            for delimiter in (",", ";"):
                for form, pattern in forms.items():
                    started = date(2025, 1, 6).strftime(pattern), date(2024, 11, 30).strftime(pattern)
                    rows = [
                        [SOEREN, "Søren Ærø Åberg", "caseworker_y", "aktivitetsparat", started[0]],
                        [BJOERN, "Bjørn Æbelø", "HANNE_Y", "", started[1]],
                    ]
                    data = bom + caseload_csv(rows, encoding=encoding, delimiter=delimiter)
                    label = {"encoding": encoding, "bom": bool(bom), "delimiter": delimiter, "form": form}
                    with self.subTest(**label), transaction.atomic():
                        result = self.run_import(data)
                        self.assertImported(result)
                        self.assertEqual(result.new_citizens, 2)
                        soeren, bjoern = self.citizen(SOEREN), self.citizen(BJOERN)
                        self.assertEqual(self.name_of(soeren), "Søren Ærø Åberg")
                        self.assertEqual(self.name_of(bjoern), "Bjørn Æbelø")
                        self.assertEqual(soeren.course_start, date(2025, 1, 6))
                        self.assertEqual(bjoern.course_start, date(2024, 11, 30))
                        self.assertEqual(soeren.target_group, "aktivitetsparat")
                        self.assertEqual((soeren.birth_year, soeren.female), (1985, True))
                        current = CaseworkerAssignment.objects.current().get(citizen=bjoern)
                        self.assertEqual((current.caseworker, current.start), (self.caseworker_y2, DAY))
                        transaction.set_rollback(True)

    def test_it_imports_an_xlsx_file_with_numeric_cpr_numbers_and_date_cells(self) -> None:
        data = caseload_xlsx(
            [
                ["cpr", "navn", "sagsbehandler", "målgruppe", "startdato"],
                # Typed into a number-formatted column, 0211900059 is stored as 211900059.
                [int(BJOERN), "Bjørn Æbelø", "caseworker_y", None, datetime(2024, 11, 30)],
                ["120385-0006", "Søren Ærø Åberg", "hanne.holm@odder.dk", "aktivitetsparat", "06.01.2025"],
            ]
        )
        result = self.run_import(data)
        self.assertImported(result)
        self.assertEqual(result.new_citizens, 2)
        bjoern = self.citizen(BJOERN)
        self.assertEqual(self.name_of(bjoern), "Bjørn Æbelø")
        self.assertEqual(bjoern.course_start, date(2024, 11, 30))
        self.assertEqual(self.citizen(SOEREN).course_start, date(2025, 1, 6))

    def test_it_does_not_guess_a_missing_zero_in_text(self) -> None:
        # Nine digits as text (or in CSV) may be missing any digit: an error with a hint, not a guess.
        result = self.run_import(caseload_csv([["211900059", "Bjørn", "caseworker_y", "", ""]]))
        self.assertEqual([(p.row, p.column) for p in result.errors], [(2, "CPR-nummer")])
        self.assertIn("Er det foranstillede 0 forsvundet?", result.errors[0].message)

    def test_it_reports_a_file_it_cannot_read_and_writes_nothing(self) -> None:
        before = self.counts()
        result = self.run_import(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
        self.assertEqual(len(result.errors), 1)
        self.assertIn(".xls", result.errors[0].message)
        self.assertFalse(result.imported)
        self.assertEqual(self.counts(), before)


class ErrorsTest(CaseloadImportTestCase):
    def test_it_reports_all_twenty_errors_and_writes_nothing(self) -> None:
        before = self.counts()
        result = self.run_import((FIXTURES / "caseload_20_errors.csv").read_bytes())

        cpr, name, caseworker, group, start = HEADER
        expected = {
            (3, cpr),  # empty
            (4, cpr),  # a letter O for a zero
            (5, cpr),  # 9 digits
            (6, cpr),  # day 32
            (7, cpr),  # 7th digit impossible for the year
            (8, cpr),  # born in 2030
            (9, cpr),  # row 2's citizen again, written without the hyphen
            (10, name),  # empty
            (11, name),  # too long
            (12, caseworker),  # empty
            (13, caseworker),  # nobody has that address
            (14, caseworker),  # a caseworker in another municipality
            (15, caseworker),  # a shared mailbox: ambiguous (and written in capitals)
            (16, caseworker),  # the role has ended
            (17, group),  # too long
            (18, start),  # two-digit year
            (19, start),  # 31 February
            (20, start),  # not a date
            (21, start),  # 2205
            (22, cpr),  # already a citizen of another municipality
        }
        self.assertEqual(len(result.errors), 20, "\n".join(problem_line(p) for p in result.errors))
        self.assertEqual({(p.row, p.column) for p in result.errors}, expected)
        # Modulus-11 failures are warnings (row 22's number, a persona's, fails it too).
        self.assertEqual([(p.row, p.column) for p in result.warnings], [(22, cpr), (23, cpr)])
        self.assertFalse(result.imported)
        self.assertEqual(self.counts(), before)

    def test_it_says_what_is_wrong_in_danish_with_the_value_as_written(self) -> None:
        result = self.run_import((FIXTURES / "caseload_20_errors.csv").read_bytes())
        by_row = {p.row: p for p in result.errors}
        self.assertEqual(by_row[4].value, "12O385-0006")
        self.assertEqual(by_row[4].message, "Ikke et CPR-nummer: forventet 10 cifre som DDMMÅÅ-SSSS.")
        self.assertEqual(by_row[6].message, "De første seks cifre (DDMMÅÅ) er ikke en gyldig dato.")
        self.assertEqual(by_row[7].message, "7. ciffer passer ikke til fødselsåret.")
        self.assertEqual(by_row[9].message, "Samme CPR-nummer som i række 2.")
        self.assertEqual(by_row[10].message, "Feltet skal udfyldes.")
        self.assertIn("Ingen sagsbehandler i Odder", by_row[14].message)
        self.assertIn("Flere sagsbehandlere i Odder", by_row[15].message)
        self.assertIn("tvetydigt", by_row[18].message)
        self.assertIn("Datoen findes ikke", by_row[19].message)
        self.assertEqual(by_row[20].value, "januar 2025")
        self.assertIn("anden kommune", by_row[22].message)
        self.assertIn("modulus 11", result.warnings[0].message)
        self.assertEqual(
            problem_line(by_row[4]),
            'række 4, kolonne "CPR-nummer", værdi "12O385-0006": '
            "Ikke et CPR-nummer: forventet 10 cifre som DDMMÅÅ-SSSS.",
        )

    def test_it_reports_missing_unknown_repeated_and_headless_columns_and_still_checks_the_rows(self) -> None:
        data = caseload_csv(
            [
                ["cpr", "Adresse", "navn", "Navn", "", "målgruppe"],
                ["1203850006", "Vejen 1", "Søren", "Søren", "", ""],
                ["0211900059", "Vejen 2", "Bjørn", "", "x", "", "stray"],
                ["31129x", "", "Bo", "", "", ""],
            ],
            header=False,
        )
        before = self.counts()
        result = self.run_import(data)
        got = [(p.row, p.column) for p in result.errors]
        self.assertEqual(
            got,
            [
                (1, "Sagsbehandler"),  # missing (its accepted headings are listed)
                (1, "Adresse"),  # unknown
                (1, "Navn"),  # a second name column
                (1, "(uden overskrift, kolonne E)"),
                (1, "(uden overskrift, kolonne G)"),
                (4, "cpr"),
            ],
        )
        self.assertIn("Ukendt kolonne", result.errors[1].message)
        self.assertIn("kolonne C", result.errors[2].message)
        self.assertIn("CPR-nummer, Navn, Sagsbehandler, Målgruppe, Forløbsstart", result.errors[1].message)
        self.assertEqual(self.counts(), before)

    def test_it_refuses_a_file_without_rows_even_as_a_complete_caseload(self) -> None:
        before = self.counts()
        result = self.run_import(caseload_csv([]), complete=True)
        self.assertEqual(
            [(p.row, p.message) for p in result.errors], [(1, "Filen har overskrifter, men ingen rækker.")]
        )
        self.assertEqual(self.counts(), before)
        self.assertTrue(CaseworkerAssignment.objects.current().filter(citizen=self.citizen_y).exists())

    def test_it_accepts_the_optional_columns_being_absent(self) -> None:
        result = self.run_import("CPR;Navn;Sagsbehandler\r\n1203850006;Søren;caseworker_y\r\n".encode())
        self.assertImported(result)
        self.assertEqual(self.citizen(SOEREN).course_start, None)


class ReimportTest(CaseloadImportTestCase):
    def test_it_changes_nothing_when_the_same_file_is_imported_again(self) -> None:
        data = (FIXTURES / "caseload_valid.csv").read_bytes()
        first = self.run_import(data)
        self.assertImported(first)
        self.assertEqual((first.new_citizens, first.unchanged), (3, 0))
        citizens = list(Citizen.objects.order_by("pk").values())
        assignments = list(CaseworkerAssignment.objects.order_by("pk").values())
        events = AuditEvent.objects.count()

        again = self.run_import(data, on=LATER)

        self.assertImported(again)
        self.assertEqual((again.new_citizens, again.caseworker_changes, again.updated, again.unchanged), (0, 0, 0, 3))
        self.assertFalse(again.changed)
        self.assertEqual(list(Citizen.objects.order_by("pk").values()), citizens)
        self.assertEqual(list(CaseworkerAssignment.objects.order_by("pk").values()), assignments)
        # One event saying the import ran and changed nothing; nothing else.
        self.assertEqual(AuditEvent.objects.count(), events + 1)
        event = AuditEvent.objects.latest("id")
        self.assertEqual((event.action, event.detail["no_change"]), (AuditEvent.Action.BULK, True))

    def test_it_records_a_caseworker_change_with_dates(self) -> None:
        self.assertImported(self.run_import(caseload_csv([[SOEREN, "Søren", "caseworker_y", "", ""]])))
        citizen = self.citizen(SOEREN)

        result = self.run_import(caseload_csv([[SOEREN, "Søren", "hanne_y", "", ""]]), on=LATER)

        self.assertImported(result)
        self.assertEqual((result.caseworker_changes, result.new_citizens, result.unchanged), (1, 0, 0))
        history = list(citizen.assignments.order_by("start").values_list("caseworker__username", "start", "end"))
        self.assertEqual(history, [("caseworker_y", DAY, LATER), ("hanne_y", LATER, None)])
        event = AuditEvent.objects.latest("id")
        self.assertEqual(event.detail["caseworker_changes"], 1)

    def test_it_changes_the_caseworker_of_a_citizen_created_elsewhere(self) -> None:
        # citizen_y has had caseworker_y since START (the personas' set-up).
        result = self.run_import(caseload_csv([["0404751238", "Dorte Dahl", "ulla_y", "", ""]]))
        self.assertImported(result)
        history = list(self.citizen_y.assignments.order_by("start").values_list("caseworker__username", "start", "end"))
        self.assertEqual(history, [("caseworker_y", START, DAY), ("ulla_y", DAY, None)])

    def test_it_corrects_a_change_on_the_day_the_assignment_began_in_place(self) -> None:
        self.assertImported(self.run_import(caseload_csv([[SOEREN, "Søren", "caseworker_y", "", ""]])))
        result = self.run_import(caseload_csv([[SOEREN, "Søren", "hanne_y", "", ""]]))  # same day
        self.assertImported(result)
        history = list(self.citizen(SOEREN).assignments.values_list("caseworker__username", "start", "end"))
        self.assertEqual(history, [("hanne_y", DAY, None)])

    def test_it_updates_the_name_and_details_but_never_erases_with_an_empty_value(self) -> None:
        self.assertImported(self.run_import(caseload_csv([[SOEREN, "Søren Åberg", "caseworker_y", "A", "06-01-2025"]])))
        result = self.run_import(caseload_csv([[SOEREN, "Søren  Ærø Åberg ", "caseworker_y", "", ""]]), on=LATER)
        self.assertImported(result)
        self.assertEqual((result.updated, result.unchanged), (1, 0))
        citizen = self.citizen(SOEREN)
        self.assertEqual(self.name_of(citizen), "Søren Ærø Åberg")
        self.assertEqual((citizen.target_group, citizen.course_start), ("A", date(2025, 1, 6)))

    def test_it_leaves_citizens_missing_from_the_file_as_they_are(self) -> None:
        result = self.run_import(caseload_csv([[SOEREN, "Søren", "caseworker_y", "", ""]]))
        self.assertImported(result)
        self.assertEqual(result.not_in_file, 1)  # citizen_y
        self.assertEqual(result.ended, 0)
        self.assertTrue(CaseworkerAssignment.objects.current().filter(citizen=self.citizen_y).exists())

    def test_it_ends_the_assignments_of_citizens_missing_from_a_complete_file(self) -> None:
        result = self.run_import(caseload_csv([[SOEREN, "Søren", "caseworker_y", "", ""]]), complete=True)
        self.assertImported(result)
        self.assertEqual((result.not_in_file, result.ended), (1, 1))
        self.assertEqual(list(self.citizen_y.assignments.values_list("start", "end")), [(START, DAY)])
        # Only Y's citizens are touched.
        self.assertTrue(CaseworkerAssignment.objects.current().filter(citizen=self.citizen_a).exists())
        self.assertEqual(AuditEvent.objects.latest("id").detail["complete"], True)

    def test_it_imports_a_modulus11_failure_with_a_warning(self) -> None:
        result = self.run_import(caseload_csv([["010110-4071", "Signe Sø", "caseworker_y", "", ""]]))
        self.assertImported(result)
        self.assertEqual([(p.row, p.column, p.value) for p in result.warnings], [(2, "CPR-nummer", "010110-4071")])
        self.assertEqual(self.citizen("0101104071").birth_year, 2010)


class WritesTest(CaseloadImportTestCase):
    def test_a_dry_run_writes_nothing_but_says_what_would_happen(self) -> None:
        before = self.counts()
        result = self.run_import((FIXTURES / "caseload_valid.csv").read_bytes(), dry_run=True)
        self.assertEqual(result.errors, [])
        self.assertFalse(result.imported)
        self.assertEqual(result.new_citizens, 3)
        self.assertEqual(self.counts(), before)

    def test_it_writes_one_bulk_audit_event_with_counts_and_fingerprint_but_no_identity(self) -> None:
        data = (FIXTURES / "caseload_valid.csv").read_bytes()
        before = AuditEvent.objects.count()
        result = self.run_import(data)
        self.assertImported(result)
        self.assertEqual(AuditEvent.objects.count(), before + 1)
        event = AuditEvent.objects.latest("id")
        self.assertEqual(event.action, AuditEvent.Action.BULK)
        self.assertEqual(event.municipality_code, self.y.code)
        self.assertEqual(event.detail["sha256"], result.sha256)
        self.assertEqual(len(result.sha256), 64)
        self.assertEqual(
            {k: event.detail[k] for k in ("rows", "new_citizens", "caseworker_changes", "unchanged", "warnings")},
            {"rows": 3, "new_citizens": 3, "caseworker_changes": 0, "unchanged": 0, "warnings": 1},
        )
        logged = str(event.detail) + event.object_repr
        for secret in ("1203850006", "120385", "Søren", "Åberg", "Bjørn"):
            self.assertNotIn(secret, logged)

    def test_it_stores_identities_only_encrypted(self) -> None:
        self.assertImported(self.run_import((FIXTURES / "caseload_valid.csv").read_bytes()))
        citizen = self.citizen(SOEREN)
        self.assertNotIn("1203850006", citizen.cpr_encrypted)
        self.assertEqual(cipher().decrypt(citizen.cpr_encrypted), SOEREN)
        self.assertEqual(citizen.municipality, self.y)

    def test_problems_print_on_one_line_each(self) -> None:
        problem = Problem(7, "Navn", 'a "quoted"\r\nname', "Feltet skal udfyldes.")
        with translation.override("da"):
            line = problem_line(problem)
        self.assertEqual(line, 'række 7, kolonne "Navn", værdi "a \\"quoted\\"\\r\\nname": Feltet skal udfyldes.')
        self.assertNotIn("\n", line)
