"""The outcome imports through the database: all or nothing, re-import no-op, overlap counts, scopes,
mapping overrides saved with the import, events with their period, and the audit trail."""

from __future__ import annotations

from datetime import date

import polars as pl

from jobtro.audit.models import AuditEvent
from jobtro.lib.outcome_files import iso_week_index
from jobtro.measurement.identity import pseudonym_for
from jobtro.outcomes.imports import (
    import_events,
    import_status,
    problem_line,
    problems_csv,
    project_mapping,
    stored_events,
    stored_panel,
)
from jobtro.outcomes.models import Kind, OutcomeImport, OutcomeStore, StatusCodeOverride
from jobtro.testing import PersonaTestCase

CPR_A, CPR_B = "0101901235", "0303801237"


def status_csv(*rows: tuple[str, str, str]) -> bytes:
    return ("cpr;aar_uge;status\n" + "".join(f"{c};{w};{s}\n" for c, w, s in rows)).encode()


def weeks(panel_rows: pl.DataFrame) -> dict[tuple[str, int], str]:
    return {(p, w): c for p, w, c in panel_rows.iter_rows()}


class StatusImportTests(PersonaTestCase):
    def store(self) -> OutcomeStore:
        return OutcomeStore.objects.get(project=self.project, kind=Kind.STATUS, municipality=self.x)

    def test_a_valid_file_is_stored_as_pseudonyms_with_its_counts_and_one_audit_event(self) -> None:
        data = status_csv(
            (CPR_A, "2025-W02", "benefit"), (CPR_A, "2025-W03", "job"), (CPR_B, "2025-W02", "kontanthjaelp")
        )
        outcome = import_status(data, project=self.project, municipality=self.x, file_name="dream.csv")
        self.assertTrue(outcome.ok)
        assert outcome.record is not None
        self.assertEqual((outcome.record.rows, outcome.record.persons, outcome.record.added), (3, 2, 3))
        self.assertEqual(outcome.record.first_week, iso_week_index(2025, 2))
        self.assertEqual(outcome.record.identified_by, "cpr")
        store = self.store()
        panel = stored_panel(store)
        assert panel is not None
        self.assertEqual(
            weeks(panel.with_persons()),
            {
                (self.citizen_a.pseudonym, iso_week_index(2025, 2)): "benefit",
                (self.citizen_a.pseudonym, iso_week_index(2025, 3)): "job",
                (self.citizen_b.pseudonym, iso_week_index(2025, 2)): "kontanthjaelp",
            },
        )
        # No CPR number is stored anywhere in the outcome data.
        for blob in (bytes(store.persons_parquet), bytes(store.data_parquet)):
            self.assertNotIn(CPR_A.encode(), blob)
        event = AuditEvent.objects.get(action=AuditEvent.Action.BULK, object_type="outcomes.OutcomeStore")
        self.assertEqual(event.municipality_code, "0740")
        self.assertEqual(event.detail["added"], 3)
        self.assertEqual(event.detail["file"], "dream.csv")

    def test_re_importing_the_same_file_is_a_no_op(self) -> None:
        data = status_csv((CPR_A, "2025-W02", "benefit"))
        first = import_status(data, project=self.project, municipality=self.x)
        before = bytes(self.store().data_parquet)
        again = import_status(data, project=self.project, municipality=self.x)
        self.assertIsNone(again.record)
        self.assertEqual(again.previous, first.record)
        self.assertEqual(OutcomeImport.objects.count(), 1)
        self.assertEqual(bytes(self.store().data_parquet), before)
        # Into another scope it is a new import.
        other = import_status(data, project=self.project, municipality=None)
        self.assertIsNotNone(other.record)

    def test_an_overlapping_later_extract_updates_the_overlap_and_counts_it(self) -> None:
        import_status(
            status_csv(
                (CPR_A, "2025-W01", "benefit"),
                (CPR_A, "2025-W02", "benefit"),
                (CPR_A, "2025-W03", "benefit"),
                (CPR_B, "2025-W01", "benefit"),
            ),
            project=self.project,
            municipality=self.x,
        )
        later = import_status(
            status_csv(
                (CPR_A, "2025-W02", "benefit"),  # unchanged
                (CPR_A, "2025-W03", "job"),  # changed
                (CPR_A, "2025-W04", "job"),  # added
                (CPR_B, "2025-W01", "education"),  # changed
            ),
            project=self.project,
            municipality=self.x,
        )
        self.assertEqual(later.counts, {"rows": 4, "persons": 2, "added": 1, "changed": 2, "unchanged": 1})
        panel = stored_panel(self.store())
        assert panel is not None
        stored = weeks(panel.with_persons())
        a, b = self.citizen_a.pseudonym, self.citizen_b.pseudonym
        self.assertEqual(
            stored,
            {
                (a, iso_week_index(2025, 1)): "benefit",  # only in the earlier extract: kept
                (a, iso_week_index(2025, 2)): "benefit",
                (a, iso_week_index(2025, 3)): "job",
                (a, iso_week_index(2025, 4)): "job",
                (b, iso_week_index(2025, 1)): "education",
            },
        )
        self.assertEqual(self.store().rows, 5)

    def test_a_file_with_problems_writes_nothing_and_reports_every_one(self) -> None:
        data = status_csv(
            (CPR_A, "2025-W02", "benefit"),
            ("3201901234", "2025-W02", "job"),
            (CPR_A, "2025-W54", "job"),
            (CPR_A, "2025-W02", "job"),
            (CPR_B, "2025-W05", "mystery"),
        )
        outcome = import_status(data, project=self.project, municipality=self.x)
        self.assertFalse(outcome.ok)
        assert outcome.problems is not None
        found = [(p.row, p.column, p.value, p.code) for p in outcome.problems.all()]
        self.assertEqual(
            found,
            [
                (3, "cpr", "3201901234", "cpr"),
                (4, "aar_uge", "2025-W54", "week_number"),
                (5, "cpr", CPR_A, "duplicate"),
                (6, "status", "mystery", "unknown_code"),
            ],
        )
        self.assertEqual(outcome.problems.unknown_codes, ["mystery"])
        self.assertFalse(OutcomeImport.objects.exists())
        self.assertFalse(OutcomeStore.objects.filter(data_parquet__gt=b"").exists())
        self.assertFalse(AuditEvent.objects.filter(object_type="outcomes.OutcomeStore").exists())
        # The words for the data manager: row, column, value and what is wrong.
        line = problem_line(outcome.problems.all()[0])
        self.assertIn("3", line)
        self.assertIn('"cpr"', line)
        self.assertIn("3201901234", line)
        import gzip

        text = gzip.decompress(problems_csv(outcome.problems)).decode("utf-8-sig")
        self.assertEqual(len(text.strip().splitlines()), 1 + 4)

    def test_mapping_overrides_are_saved_with_the_import_or_not_at_all(self) -> None:
        data = status_csv((CPR_A, "2025-W02", "X17"), (CPR_A, "2025-W03", "X18"))
        refused = import_status(data, project=self.project, municipality=self.x)
        assert refused.problems is not None
        self.assertEqual(refused.problems.unknown_codes, ["X17", "X18"])
        # Overrides with a file that still has a problem: neither is saved.
        bad = import_status(
            data + f"{CPR_A};2025-W99;X17\n".encode(),
            project=self.project,
            municipality=self.x,
            mapping_overrides={"X17": "benefit_sickness", "X18": "job"},
        )
        self.assertFalse(bad.ok)
        self.assertFalse(StatusCodeOverride.objects.exists())
        good = import_status(
            data, project=self.project, municipality=self.x, mapping_overrides={"X17": "benefit_sickness", "X18": "job"}
        )
        self.assertTrue(good.ok)
        self.assertEqual(
            dict(StatusCodeOverride.objects.values_list("code", "category")), {"X17": "benefit_sickness", "X18": "job"}
        )
        self.assertEqual(project_mapping(self.project)["X18"], "job")

    def test_a_pseudonymised_file_is_accepted(self) -> None:
        data = f"pseudonym,year,week,code\n{self.citizen_a.pseudonym.upper()},2025,2,job\n".encode()
        outcome = import_status(data, project=self.project, municipality=self.y)
        self.assertTrue(outcome.ok)
        assert outcome.record is not None
        self.assertEqual(outcome.record.identified_by, "pseudonym")
        store = OutcomeStore.objects.get(municipality=self.y, kind=Kind.STATUS)
        panel = stored_panel(store)
        assert panel is not None
        self.assertEqual(panel.persons.to_list(), [self.citizen_a.pseudonym])


def events_csv(*rows: tuple[str, str, str]) -> bytes:
    return ("cpr;hændelse;startdato\n" + "".join(f"{c};{k};{d}\n" for c, k, d in rows)).encode()


class EventImportTests(PersonaTestCase):
    def test_events_replace_their_period_and_keep_the_rest(self) -> None:
        first = import_events(
            events_csv((CPR_A, "Beskæftigelse", "03-02-2025"), (CPR_B, "Uddannelse", "01-08-2025")),
            project=self.project,
            municipality=self.x,
            covers_from=date(2025, 1, 1),
            covers_until=date(2025, 12, 31),
            file_name="forloeb.csv",
        )
        self.assertEqual(first.counts, {"rows": 2, "persons": 2, "added": 2, "removed": 0, "unchanged": 0})
        # A corrected extract for the second half year: B's event is withdrawn, A's (February) is kept.
        second = import_events(
            events_csv((CPR_A, "job", "2025-09-15")),
            project=self.project,
            municipality=self.x,
            covers_from=date(2025, 7, 1),
            covers_until=date(2026, 3, 31),
        )
        self.assertEqual(second.counts, {"rows": 1, "persons": 1, "added": 1, "removed": 1, "unchanged": 0})
        store = OutcomeStore.objects.get(kind=Kind.EVENTS, municipality=self.x)
        self.assertEqual(store.covers_until, date(2026, 3, 31))
        events = stored_events(store)
        assert events is not None
        self.assertEqual(
            events.select("person", "kind", "date").rows(),
            [
                (self.citizen_a.pseudonym, "job", date(2025, 2, 3)),
                (self.citizen_a.pseudonym, "job", date(2025, 9, 15)),
            ],
        )

    def test_an_event_outside_the_period_is_a_problem_with_its_row(self) -> None:
        outcome = import_events(
            events_csv((CPR_A, "job", "03-02-2025"), (CPR_B, "job", "03-02-2027")),
            project=self.project,
            municipality=self.x,
            covers_until=date(2026, 12, 31),
        )
        assert outcome.problems is not None
        self.assertEqual(
            [(p.row, p.column, p.value, p.code) for p in outcome.problems.all()],
            [(3, "startdato", "03-02-2027", "outside_period")],
        )
        self.assertFalse(OutcomeImport.objects.exists())

    def test_event_problems_are_all_reported(self) -> None:
        outcome = import_events(
            events_csv((CPR_A, "ferie", "03-02-2025"), ("", "job", "31-02-2025")),
            project=self.project,
            municipality=self.x,
            covers_until=date(2026, 12, 31),
        )
        assert outcome.problems is not None
        self.assertEqual(
            [(p.row, p.column, p.code) for p in outcome.problems.all()],
            [(2, "hændelse", "event"), (3, "cpr", "blank"), (3, "startdato", "date")],
        )

    def test_pseudonyms_of_events_are_the_citizens(self) -> None:
        import_events(
            events_csv((CPR_A, "job", "03-02-2025")),
            project=self.project,
            municipality=self.x,
            covers_until=date(2025, 12, 31),
        )
        events = stored_events(OutcomeStore.objects.get(kind=Kind.EVENTS))
        assert events is not None
        self.assertEqual(events["person"].to_list(), [pseudonym_for(CPR_A)])

    def test_a_period_that_ends_before_it_starts_is_a_problem(self) -> None:
        outcome = import_events(
            events_csv((CPR_A, "job", "03-02-2025")),
            project=self.project,
            municipality=self.x,
            covers_from=date(2025, 6, 1),
            covers_until=date(2025, 1, 1),
        )
        assert outcome.problems is not None
        self.assertEqual([p.code for p in outcome.problems.all()], ["period"])
        self.assertFalse(OutcomeImport.objects.exists())
