"""The researchers' answer export: the answers in force, pseudonymised, and every format read back with
an independent reader (csv, openpyxl, pyreadstat, pandas' Stata reader) - values, variable labels,
value labels and the distinct "Ved ikke" missing code must all survive."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pyreadstat
from django.test import override_settings

from jobtro.lib.pseudonym import Pseudonymiser
from jobtro.measurement import export
from jobtro.measurement.tests.test_export_fixtures import (
    CITIZEN_SECRETS,
    STAFF_SECRETS,
    V2_WORDING,
    ExportFixture,
    at,
)
from jobtro.testing import make_citizen

V1_WORDING = "Tror du, at borgeren kommer i job eller uddannelse inden for det næste år?"
SHARE_WORDING = (
    "Hvor stor en andel af de borgere, du har ansvaret for, tror du kommer i job eller uddannelse inden for det "
    "næste år?"
)
SCALE_LABELS = {
    1: "Nej, helt sikkert ikke",
    2: "Nej, sandsynligvis ikke",
    3: "Måske",
    4: "Ja, sandsynligvis",
    5: "Ja, helt sikkert",
}
OTHER_KEY = "another-pseudonym-key-for-tests-0123456789abcdef"


class ExportCase(ExportFixture):
    def dataset(self) -> export.Dataset:
        return export.build_dataset([self.wave0, self.wave1])

    def written(self, fmt: export.Format, dataset: export.Dataset | None = None) -> Path:
        directory = Path(tempfile.mkdtemp(prefix="jobtro-export-test-"))
        self.addCleanup(shutil.rmtree, directory)
        export.write_files(dataset or self.dataset(), fmt, directory)
        return directory

    def rows_by(self, rows: list[dict[str, Any]], wave: int = 0) -> dict[str, dict[str, Any]]:
        """Rows of one wave keyed by citizen pseudonym (specific) or caseworker pseudonym (general)."""
        key = "citizen" if "citizen" in rows[0] else "caseworker"
        return {r[key]: r for r in rows if int(float(r["wave"])) == wave}

    def pseudonym(self, persona: str) -> str:
        staff = self.caseworker_y if persona == "caseworker_y" else self.personas[persona]
        return export.caseworker_pseudonymiser().pseudonym(str(staff.pk))


class DatasetTest(ExportCase):
    def test_it_keeps_the_latest_received_answer_in_force(self) -> None:
        specific = self.rows_by(self.dataset().table("specific").frame.to_dicts())
        a, a2, b = self.citizen_a.pseudonym, self.citizen_a2.pseudonym, self.citizen_b.pseudonym
        # 4 was received after 2 although stored before it.
        self.assertEqual((specific[a]["specific_belief"], specific[a]["specific_belief_dont_know"]), (4, 0))
        # A value, then "Ved ikke": missing, flagged.
        self.assertEqual((specific[a2]["specific_belief"], specific[a2]["specific_belief_dont_know"]), (None, 1))
        # "Ved ikke", then a value: the value.
        self.assertEqual((specific[b]["specific_belief"], specific[b]["specific_belief_dont_know"]), (5, 0))
        self.assertEqual(specific[a]["answered_at"], datetime(2025, 1, 8, 10, 0))  # Danish time (UTC+1)
        general = self.rows_by(self.dataset().table("general").frame.to_dicts())
        mine = general[self.pseudonym("caseworker_a")]
        self.assertEqual((mine["general_share"], mine["general_believes"]), (60, 1))
        self.assertEqual(mine["answered_at"], datetime(2025, 1, 10, 15, 30))

    def test_it_has_a_row_for_every_citizen_in_a_frozen_caseload_answered_or_not(self) -> None:
        frame = self.dataset().table("specific").frame
        self.assertEqual(frame.height, 8)  # 4 frozen caseload entries in each of the two waves
        unrated = self.rows_by(frame.to_dicts())[self.citizen_y.pseudonym]
        self.assertEqual(unrated["in_caseload"], 1)
        self.assertIsNone(unrated["specific_belief"])
        self.assertIsNone(unrated["specific_belief_dont_know"], "not answered is not 'Ved ikke'")
        self.assertIsNone(unrated["answered_at"])
        self.assertEqual(self.rows_by(frame.to_dicts(), wave=1)[self.citizen_a.pseudonym]["specific_belief"], 5)

    def test_it_describes_citizens_and_caseworkers_without_identifying_them(self) -> None:
        row = self.rows_by(self.dataset().table("specific").frame.to_dicts())[self.citizen_a2.pseudonym]
        expected = {
            "project": self.project.pk,
            "wave": 0,
            "wave_opens": date(2025, 1, 6),
            "wave_closes": date(2025, 1, 19),
            "instrument_version": 1,
            "municipality": "0740",
            "team": self.team_x1.pk,
            "caseworker": self.pseudonym("caseworker_a"),
            "birth_year": 1985,
            "female": 1,
            "target_group": "aktivitetsparat kontanthjælpsmodtager",
        }
        self.assertEqual({k: row[k] for k in expected}, expected)
        general = self.rows_by(self.dataset().table("general").frame.to_dicts())
        y = general[self.pseudonym("caseworker_y")]
        self.assertEqual(
            (y["municipality"], y["team"], y["caseload_size"], y["n_rated"]), ("0727", self.team_y1.pk, 1, 0)
        )
        self.assertEqual(general[self.pseudonym("caseworker_a")]["n_rated"], 2)

    def test_it_pseudonymises_caseworkers_with_the_key_in_their_own_namespace(self) -> None:
        staff_id = str(self.a.pk)
        pseudonym = self.pseudonym("caseworker_a")
        self.assertEqual(len(pseudonym), 24)
        self.assertNotEqual(
            pseudonym, Pseudonymiser(b"jobtro-dev-only-pseudonym-key-not-secret-0123456789").pseudonym(staff_id)
        )
        with override_settings(JOBTRO_PSEUDONYM_KEY=OTHER_KEY):
            self.assertNotEqual(self.pseudonym("caseworker_a"), pseudonym)
            caseworkers = set(self.dataset().table("general").frame["caseworker"].to_list())
        self.assertNotIn(pseudonym, caseworkers)

    def test_it_exports_only_the_chosen_waves(self) -> None:
        dataset = export.build_dataset([self.wave1])
        self.assertEqual(set(dataset.table("specific").frame["wave"].to_list()), {1})
        self.assertEqual([w.number for w in dataset.waves], [1])

    def test_it_writes_an_unopened_wave_as_empty_tables_with_every_variable(self) -> None:
        dataset = export.build_dataset([self.project.waves.get(number=2)])
        self.assertEqual([t.frame.height for t in dataset.tables], [0, 0])
        for fmt in export.FORMATS:
            directory = self.written(fmt, dataset)
            self.assertTrue((directory / "codebook.md").exists(), fmt)
        _, meta = pyreadstat.read_sav(str(directory / "answers_specific.sav"))  # the last format written
        self.assertEqual(meta.number_rows, 0)
        self.assertIn("specific_belief", meta.column_names)


class CsvTest(ExportCase):
    def test_it_round_trips_csv_with_a_bom_and_an_empty_cell_for_ved_ikke(self) -> None:
        directory = self.written("csv")
        raw = (directory / "answers_specific.csv").read_bytes()
        self.assertTrue(raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so Excel reads æøå")
        self.assertIn("kontanthjælpsmodtager".encode(), raw)
        with (directory / "answers_specific.csv").open(encoding="utf-8-sig", newline="") as f:
            rows = self.rows_by(list(csv.DictReader(f)))
        a, a2, y = (rows[c.pseudonym] for c in (self.citizen_a, self.citizen_a2, self.citizen_y))
        self.assertEqual((a["specific_belief"], a["specific_belief_dont_know"]), ("4", "0"))
        self.assertEqual((a2["specific_belief"], a2["specific_belief_dont_know"]), ("", "1"))
        self.assertEqual((y["specific_belief"], y["specific_belief_dont_know"]), ("", ""))
        self.assertEqual(
            (a["answered_at"], a["wave_opens"], a["municipality"]), ("2025-01-08 10:00:00", "2025-01-06", "0740")
        )
        with (directory / "answers_general.csv").open(encoding="utf-8-sig", newline="") as f:
            general = self.rows_by(list(csv.DictReader(f)))
        self.assertEqual(general[self.pseudonym("caseworker_a")]["general_share"], "60")

    def test_it_defuses_text_a_spreadsheet_would_run_as_a_formula(self) -> None:
        citizen = make_citizen(self.x, "0606661230", "Frida Fisk", self.a)
        citizen.target_group = '=HYPERLINK("http://example.org","klik")'
        citizen.save()
        frame = export.build_dataset([self.wave0]).table("specific").frame
        self.assertNotIn(citizen.pseudonym, frame["citizen"].to_list(), "not in the frozen caseload")
        self.answer(self.wave0, "specific_belief", self.a, citizen, 3, when=at(1, 7))
        dataset = export.build_dataset([self.wave0])
        with (self.written("csv", dataset) / "answers_specific.csv").open(encoding="utf-8-sig", newline="") as f:
            row = self.rows_by(list(csv.DictReader(f)))[citizen.pseudonym]
        self.assertEqual(row["target_group"], "'" + citizen.target_group)
        self.assertEqual(row["in_caseload"], "0", "answered outside the frozen caseload")
        sheet = openpyxl.load_workbook(self.written("xlsx", dataset) / "answers.xlsx")["specific"]
        header = [c.value for c in sheet[1]]
        cells = [r[header.index("target_group")] for r in sheet.iter_rows(min_row=2)]
        cell = next(c for c in cells if str(c.value).startswith("="))
        self.assertEqual((cell.value, cell.data_type), (citizen.target_group, "s"))


class XlsxTest(ExportCase):
    def test_it_round_trips_xlsx_with_a_sheet_per_table_and_a_codebook(self) -> None:
        workbook = openpyxl.load_workbook(self.written("xlsx") / "answers.xlsx")
        self.assertEqual(workbook.sheetnames, ["specific", "general", "codebook"])

        def dicts(name: str) -> list[dict[str, Any]]:
            values = list(workbook[name].iter_rows(values_only=True))
            return [dict(zip(values[0], row, strict=True)) for row in values[1:]]

        rows = self.rows_by(dicts("specific"))
        a, a2 = rows[self.citizen_a.pseudonym], rows[self.citizen_a2.pseudonym]
        self.assertEqual((a["specific_belief"], a["specific_belief_dont_know"]), (4, 0))
        self.assertEqual((a2["specific_belief"], a2["specific_belief_dont_know"]), (None, 1))
        self.assertEqual(a["wave_opens"], datetime(2025, 1, 6))
        self.assertEqual(a["answered_at"], datetime(2025, 1, 8, 10, 0))
        self.assertEqual(a["target_group"], "aktivitetsparat kontanthjælpsmodtager")
        codebook = dicts("codebook")
        for table in ("specific", "general"):
            header = next(iter(workbook[table].iter_rows(values_only=True)))
            self.assertEqual({r["variable"] for r in codebook if r["table"] == table}, set(header))
        share = next(r for r in codebook if r["variable"] == "general_share")
        self.assertEqual((share["label"], share["n_nonmissing"]), (SHARE_WORDING, 1))


class StataTest(ExportCase):
    def test_it_round_trips_stata_with_labels_and_ved_ikke_as_extended_missing_a(self) -> None:
        path = self.written("dta") / "answers_specific.dta"
        self.assertTrue(path.read_bytes().startswith(b"<stata_dta><header><release>118<"), "UTF-8, Stata 14+")
        frame, meta = pyreadstat.read_dta(str(path), user_missing=True)
        rows = self.rows_by(frame.to_dict("records"))
        a, a2, y = (rows[c.pseudonym] for c in (self.citizen_a, self.citizen_a2, self.citizen_y))
        self.assertEqual(a["specific_belief"], 4)
        self.assertEqual(a2["specific_belief"], "a", "Ved ikke is .a")
        self.assertTrue(pd.isna(y["specific_belief"]), "not answered is system missing")
        self.assertEqual(meta.missing_user_values, {"specific_belief": ["a"]})
        self.assertEqual(meta.variable_value_labels["specific_belief"], SCALE_LABELS | {"a": "Ved ikke"})
        self.assertEqual(meta.variable_value_labels["female"], {0: "Mand", 1: "Kvinde"})
        labels = meta.column_names_to_labels
        self.assertEqual(labels["birth_year"], "Borgerens fødselsår")
        # Two versions' wording: the newest in the label, marked; every version in the codebook.
        self.assertTrue(labels["specific_belief"].startswith("[v2; ordlyd ændret] Tror du, at borgeren kommer i"))
        self.assertLessEqual(len(labels["specific_belief"]), 80)
        self.assertEqual(a["wave_opens"], date(2025, 1, 6))
        self.assertEqual(a["answered_at"], datetime(2025, 1, 8, 10, 0))
        # Without user-missing handling, "Ved ikke" is missing like "not answered".
        plain, _ = pyreadstat.read_dta(str(path))
        self.assertTrue(pd.isna(self.rows_by(plain.to_dict("records"))[self.citizen_a2.pseudonym]["specific_belief"]))

    def test_it_writes_real_stata_extended_missing_values(self) -> None:
        # pandas' own Stata reader (not readstat) sees .a and . as Stata's missing values.
        path = self.written("dta") / "answers_specific.dta"
        frame = pd.read_stata(path, convert_missing=True, convert_dates=False, convert_categoricals=False)
        baseline = frame[frame["wave"] == 0]
        by_citizen = dict(zip(baseline["citizen"], baseline["specific_belief"], strict=True))
        self.assertEqual(str(by_citizen[self.citizen_a2.pseudonym]), ".a")
        self.assertEqual(str(by_citizen[self.citizen_y.pseudonym]), ".")

    def test_it_shortens_labels_to_statas_80_characters_and_keeps_the_wording_in_the_codebook(self) -> None:
        directory = self.written("dta")
        _, meta = pyreadstat.read_dta(str(directory / "answers_general.dta"))
        label = meta.column_names_to_labels["general_share"]
        self.assertEqual(len(label), 80)
        self.assertTrue(label.endswith("…") and SHARE_WORDING.startswith(label[:-1]))
        self.assertEqual(meta.variable_value_labels["general_believes"], {0: "Nej", 1: "Ja"})
        self.assertIn(SHARE_WORDING, (directory / "codebook.md").read_text(encoding="utf-8"))


class SpssTest(ExportCase):
    def test_it_round_trips_spss_with_labels_and_ved_ikke_as_user_missing(self) -> None:
        directory = self.written("sav")
        frame, meta = pyreadstat.read_sav(str(directory / "answers_specific.sav"), user_missing=True)
        rows = self.rows_by(frame.to_dict("records"))
        a, a2, y = (rows[c.pseudonym] for c in (self.citizen_a, self.citizen_a2, self.citizen_y))
        self.assertEqual((a["specific_belief"], a2["specific_belief"]), (4, -1))
        self.assertTrue(pd.isna(y["specific_belief"]), "not answered is system-missing")
        self.assertEqual(meta.missing_ranges, {"specific_belief": [{"lo": -1.0, "hi": -1.0}]})
        self.assertEqual(meta.variable_value_labels["specific_belief"], SCALE_LABELS | {-1: "Ved ikke"})
        self.assertEqual(meta.variable_measure["specific_belief"], "ordinal")
        self.assertEqual(a["target_group"], "aktivitetsparat kontanthjælpsmodtager")
        self.assertEqual(a["answered_at"], datetime(2025, 1, 8, 10, 0))
        plain, _ = pyreadstat.read_sav(str(directory / "answers_specific.sav"))
        self.assertTrue(pd.isna(self.rows_by(plain.to_dict("records"))[self.citizen_a2.pseudonym]["specific_belief"]))

        _, meta = pyreadstat.read_sav(str(directory / "answers_general.sav"))
        self.assertEqual(meta.column_names_to_labels["general_share"], SHARE_WORDING, "SPSS keeps 256 bytes")
        self.assertEqual(meta.variable_value_labels["general_believes"], {0: "Nej", 1: "Ja"})
        self.assertEqual(meta.variable_measure["general_share"], "scale")


class NoIdentitiesTest(ExportCase):
    def _texts(self, name: str, data: bytes) -> list[tuple[str, bytes]]:
        """Every member's bytes, unpacking nested zips (an XLSX is one) so compression hides nothing."""
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return [t for member in archive.namelist() for t in self._texts(member, archive.read(member))]
        return [(name, data)]

    def test_it_never_writes_a_cpr_number_or_a_name_in_any_format(self) -> None:
        dataset = self.dataset()
        for fmt in export.FORMATS:
            members = self._texts("export.zip", export.zip_bytes(dataset, fmt))
            self.assertGreater(len(members), 3, fmt)
            for name, data in members:
                for secret in CITIZEN_SECRETS + STAFF_SECRETS:
                    for encoding in ("utf-8", "utf-16-le", "latin-1"):
                        self.assertNotIn(secret.encode(encoding), data, f"{secret!r} in {fmt}:{name} ({encoding})")
            # The check can see text: the citizens' pseudonyms are there.
            joined = b"".join(data for _, data in members)
            self.assertIn(self.citizen_a.pseudonym.encode(), joined, fmt)


class CodebookTest(ExportCase):
    def test_it_lists_every_variable_of_every_table_in_every_format(self) -> None:
        dataset = self.dataset()
        for fmt in export.FORMATS:
            rows = export.codebook_rows(dataset, fmt)
            markdown = export.codebook_markdown(dataset, fmt)
            for table in dataset.tables:
                listed = {r["variable"] for r in rows if r["table"] == table.name}
                self.assertEqual(listed, set(table.frame.columns), f"{fmt} {table.name}")
                for column in table.frame.columns:
                    self.assertIn(f"| {column} |", markdown, f"{fmt} {column}")
        with (self.written("sav") / "codebook.csv").open(encoding="utf-8-sig", newline="") as f:
            listed_csv = {(r["table"], r["variable"]) for r in csv.DictReader(f)}
        self.assertEqual(listed_csv, {(t.name, c) for t in dataset.tables for c in t.frame.columns})

    def test_it_lists_each_versions_wording_and_never_merges_changed_meaning(self) -> None:
        rows = [r for r in export.codebook_rows(self.dataset(), "dta") if r["variable"] == "specific_belief"]
        self.assertEqual([r["label"] for r in rows], [V1_WORDING, V2_WORDING])
        self.assertEqual(
            [r["instrument_versions"] for r in rows],
            [f"{self.wave0.instrument_version.instrument} v1", f"{self.wave1.instrument_version.instrument} v2"],
        )
        # v1: 4 and 5 in force, one "Ved ikke"; v2: one 5.
        self.assertEqual([(r["n_nonmissing"], r["n_dont_know"]) for r in rows], [("2", "1"), ("1", "0")])
        self.assertIn("5 = Ja, helt sikkert", rows[0]["values"])
        self.assertIn(".a = Ved ikke", rows[0]["values"])
        self.assertIn(".a = Ved ikke", rows[0]["missing"])
        # Unchanged items are one row listing both versions.
        believes = [r for r in export.codebook_rows(self.dataset(), "sav") if r["variable"] == "general_believes"]
        self.assertEqual(len(believes), 1)
        self.assertTrue(believes[0]["instrument_versions"].endswith("v1, v2"))
        self.assertEqual(believes[0]["values"], "0 = Nej; 1 = Ja")
        markdown = export.codebook_markdown(self.dataset(), "csv")
        self.assertIn(V1_WORDING, markdown)
        self.assertIn(V2_WORDING, markdown)

    def test_it_states_each_formats_missing_codes(self) -> None:
        dataset = self.dataset()
        flag = {
            fmt: next(r for r in export.codebook_rows(dataset, fmt) if r["variable"] == "specific_belief")
            for fmt in export.FORMATS
        }
        self.assertIn("specific_belief_dont_know = 1", flag["csv"]["missing"])
        self.assertIn(".a = Ved ikke", flag["dta"]["missing"])
        self.assertIn("-1 = Ved ikke", flag["sav"]["missing"])
        self.assertIn("BOM", export.codebook_markdown(dataset, "csv"))


class VariableNameTest(ExportCase):
    def test_it_makes_item_keys_valid_stata_and_spss_names(self) -> None:
        used: set[str] = set()
        self.assertEqual(export._variable_name("specific_belief", used), "specific_belief")
        self.assertEqual(export._variable_name("2nd-try", used), "v2nd_try")
        self.assertEqual(export._variable_name("in", used), "in_")
        long = export._variable_name("x" * 40, used, export.DONT_KNOW_SUFFIX)
        # 29, not Stata's 32: pyreadstat names the value-label set after the variable plus a number.
        self.assertEqual((len(long), long.endswith("_dont_know")), (29, True))
        self.assertNotEqual(export._variable_name("x" * 40, used, export.DONT_KNOW_SUFFIX), long)
