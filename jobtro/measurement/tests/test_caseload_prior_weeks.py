"""The caseload import's optional column for prior weeks on benefit (benefit seniority), a control in the
BIP analysis: its Danish and English headings, whole numbers only, an empty cell or a missing column
never erases a stored value, and a bad value is an error naming the row and column."""

from __future__ import annotations

from jobtro.lib.tests.test_tabular import csv_bytes, xlsx_bytes
from jobtro.measurement.caseload_import import MAX_PRIOR_WEEKS
from jobtro.measurement.models import Citizen
from jobtro.measurement.tests.test_caseload_import import BJOERN, SOEREN, CaseloadImportTestCase, caseload_csv


def with_prior(heading: str, rows: list[list[str]]) -> bytes:
    return csv_bytes([["CPR-nummer", "Navn", "Sagsbehandler", heading], *rows], encoding="utf-8", delimiter=";")


class PriorWeeksTest(CaseloadImportTestCase):
    def test_it_reads_the_column_under_its_danish_and_english_headings(self) -> None:
        for heading in ("Anciennitet (uger)", "forudgående uger på ydelse", "Prior weeks on benefit", "anciennitet"):
            with self.subTest(heading=heading):
                Citizen.objects.filter(municipality=self.y).update(prior_weeks_on_benefit=None)
                result = self.run_import(
                    with_prior(
                        heading, [[SOEREN, "Søren Åberg", "caseworker_y", "104"], [BJOERN, "Bjørn", "hanne_y", "7,0"]]
                    )
                )
                self.assertImported(result)
                self.assertEqual(self.citizen(SOEREN).prior_weeks_on_benefit, 104)
                self.assertEqual(self.citizen(BJOERN).prior_weeks_on_benefit, 7)

    def test_it_reads_a_number_cell_of_a_spreadsheet(self) -> None:
        data = xlsx_bytes(
            [["cpr", "navn", "sagsbehandler", "anciennitet (uger)"], [SOEREN, "Søren", "caseworker_y", 52]]
        )
        self.assertImported(self.run_import(data))
        self.assertEqual(self.citizen(SOEREN).prior_weeks_on_benefit, 52)

    def test_an_empty_cell_or_a_missing_column_keeps_the_stored_value_and_a_new_value_replaces_it(self) -> None:
        self.assertImported(
            self.run_import(with_prior("Anciennitet (uger)", [[SOEREN, "Søren", "caseworker_y", "30"]]))
        )
        self.assertImported(self.run_import(with_prior("Anciennitet (uger)", [[SOEREN, "Søren", "caseworker_y", ""]])))
        self.assertEqual(self.citizen(SOEREN).prior_weeks_on_benefit, 30)
        result = self.run_import(caseload_csv([[SOEREN, "Søren", "caseworker_y", "", ""]]))  # no such column
        self.assertImported(result)
        self.assertEqual(self.citizen(SOEREN).prior_weeks_on_benefit, 30)
        result = self.run_import(with_prior("Anciennitet (uger)", [[SOEREN, "Søren", "caseworker_y", "31"]]))
        self.assertImported(result)
        self.assertEqual((result.updated, self.citizen(SOEREN).prior_weeks_on_benefit), (1, 31))

    def test_a_bad_value_is_an_error_with_its_row_and_column_and_nothing_is_written(self) -> None:
        rows = [
            [SOEREN, "Søren", "caseworker_y", "to år"],
            [BJOERN, "Bjørn", "hanne_y", "-3"],
            ["0101901235", "Anna", "hanne_y", str(MAX_PRIOR_WEEKS + 1)],
        ]
        before = self.counts()
        result = self.run_import(with_prior("Anciennitet (uger)", rows))
        self.assertFalse(result.imported)
        self.assertEqual(self.counts(), before)
        self.assertEqual(
            [(p.row, p.column, p.value) for p in result.errors if p.column == "Anciennitet (uger)"],
            [
                (2, "Anciennitet (uger)", "to år"),
                (3, "Anciennitet (uger)", "-3"),
                (4, "Anciennitet (uger)", str(MAX_PRIOR_WEEKS + 1)),
            ],
        )
        self.assertIn("Ikke et antal uger", result.errors[0].message)
