"""The staff questionnaire in the researchers' answer export: one row per caseworker and wave in the
general table, each item a variable with its value labels, and "Ved ikke" kept apart from "not answered"
(a flag in CSV, .a in Stata) - as for the belief scale."""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

import pyreadstat

from jobtro.measurement import export
from jobtro.measurement.tests.test_export_fixtures import ExportFixture, at


class StaffExportTest(ExportFixture):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.answer(cls.wave0, "colleagues_sparring", cls.a, None, 4, when=at(1, 7))
        cls.answer(cls.wave0, "colleagues_sparring", cls.b, None, None, when=at(1, 7))  # "Ved ikke"

    def written(self, fmt: export.Format) -> Path:
        directory = Path(tempfile.mkdtemp(prefix="jobtro-export-test-"))
        self.addCleanup(shutil.rmtree, directory)
        export.write_files(export.build_dataset([self.wave0]), fmt, directory)
        return directory

    def test_staff_items_are_variables_of_the_general_table_with_ved_ikke_apart(self) -> None:
        dataset = export.build_dataset([self.wave0])
        general = next(t for t in dataset.tables if t.name == "general")
        names = [v.name for v in general.variables]
        self.assertIn("colleagues_sparring", names)
        self.assertIn("colleagues_sparring_dont_know", names)
        self.assertLess(names.index("general_share"), names.index("colleagues_sparring"), "after the general items")
        sparring = next(v for v in general.variables if v.name == "colleagues_sparring")
        self.assertEqual(sparring.measure, "ordinal")
        self.assertEqual(sparring.value_labels[5], "Helt enig")

        directory = self.written("csv")
        with (directory / "answers_general.csv").open(encoding="utf-8-sig", newline="") as f:
            rows = {r["caseworker"]: r for r in csv.DictReader(f)}
        pseudonym = export.caseworker_pseudonymiser().pseudonym
        a, b = rows[pseudonym(str(self.a.pk))], rows[pseudonym(str(self.b.pk))]
        self.assertEqual((a["colleagues_sparring"], a["colleagues_sparring_dont_know"]), ("4", "0"))
        self.assertEqual((b["colleagues_sparring"], b["colleagues_sparring_dont_know"]), ("", "1"))

    def test_stata_marks_ved_ikke_on_a_staff_item_as_extended_missing_a(self) -> None:
        frame, meta = pyreadstat.read_dta(str(self.written("dta") / "answers_general.dta"), user_missing=True)
        pseudonym = export.caseworker_pseudonymiser().pseudonym
        rows = {r["caseworker"]: r for r in frame.to_dict("records")}
        self.assertEqual(rows[pseudonym(str(self.a.pk))]["colleagues_sparring"], 4)
        self.assertEqual(rows[pseudonym(str(self.b.pk))]["colleagues_sparring"], "a")
        self.assertEqual(meta.variable_value_labels["colleagues_sparring"][5], "Helt enig")
