"""Spells built from the database: hand-worked examples through the whole path (answers + imported
status or events + caseworker assignments -> SpellBuild), and the counting-process rows agreeing
with the spells."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import polars as pl
from django.utils import timezone

from jobtro.lib.outcome_files import week_index, week_label
from jobtro.measurement.actions import default_instrument_version
from jobtro.measurement.models import Answer, Citizen, Wave
from jobtro.organisation.models import Staff
from jobtro.outcomes.imports import import_events, import_status
from jobtro.outcomes.models import SpellBuild, StatusCodeOverride
from jobtro.outcomes.spells import Definition, SpellError, build_spells, counting_of, spells_of
from jobtro.testing import START, PersonaTestCase

CPR = {"a": "0101901235", "a2": "0202851236", "b": "0303801237", "y": "0404751238", "moved": "0505701239"}
W0 = week_index(START)  # the week of the first wave (START is a Monday)


def status_rows(cpr: str, first: int, codes: str) -> list[str]:
    """One row per week from week index ``first``: B = benefit, J = job, E = education."""
    names = {"B": "benefit", "J": "job", "E": "education"}
    return [f"{cpr};{week_label(first + i)};{names[c]}" for i, c in enumerate(codes)]


class SpellBuildTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        version = default_instrument_version()
        cls.item = version.items.get(key="specific_belief")
        cls.wave0 = Wave.objects.create(
            project=cls.project, number=0, name="0", opens_on=START, closes_on=START + timedelta(days=13),
            instrument_version=version,
        )  # fmt: skip
        cls.wave1 = Wave.objects.create(
            project=cls.project, number=1, name="1", opens_on=START + timedelta(weeks=13),
            closes_on=START + timedelta(weeks=15), instrument_version=version,
        )  # fmt: skip

    def answer(self, wave: Wave, caseworker: Staff, citizen: Citizen, value: int | None, day: date) -> None:
        Answer.objects.create(
            wave=wave, item=self.item, caseworker=caseworker, citizen=citizen, value=value, dont_know=value is None,
            request_id=uuid.uuid4(),
            received_at=datetime.combine(day, time(10), tzinfo=timezone.get_current_timezone()),
        )  # fmt: skip

    def import_x(self, lines: list[str]) -> None:
        data = ("cpr;uge;status\n" + "\n".join(lines) + "\n").encode()
        outcome = import_status(data, project=self.project, municipality=self.x)
        self.assertTrue(outcome.ok, outcome.problems and outcome.problems.all())

    def by_citizen(self, build: SpellBuild) -> dict[tuple[int, int], dict[str, object]]:
        return {(r["citizen_id"], r["wave"]): r for r in spells_of(build).iter_rows(named=True)}

    def test_hand_worked_spells_from_weekly_status(self) -> None:
        a, b = self.personas["caseworker_a"], self.personas["caseworker_b"]
        wed = START + timedelta(days=2)  # answered on the Wednesday of week W0
        self.answer(self.wave0, a, self.citizen_a, 4, wed)
        self.answer(self.wave0, a, self.citizen_a2, None, wed)  # "Ved ikke" is still a measurement
        self.answer(self.wave0, b, self.citizen_b, 2, wed)
        self.answer(self.wave0, b, self.citizen_moved, 3, wed)
        # A later answer for the same wave replaces the earlier one (the answer in force).
        self.answer(self.wave0, b, self.citizen_b, 1, wed + timedelta(days=1))
        self.import_x(
            status_rows(CPR["a"], W0, "BBBJJ")  # job in week 3: duration 3
            + status_rows(CPR["a2"], W0, "BBBBBBBBBB")  # never: censored at the end of data (10 weeks)
            + status_rows(CPR["b"], W0, "BJBBEEB")  # job week 1 (k=1); education week 4 (2 of 2)
            + status_rows(CPR["moved"], W0, "B" * 30 + "J")  # job in week 30, after a caseworker change
        )
        build = build_spells(self.project)
        spells = self.by_citizen(build)
        got = {
            name: (spells[(c.pk, 0)]["duration"], spells[(c.pk, 0)]["event"], spells[(c.pk, 0)]["event_type"])
            for name, c in (
                ("a", self.citizen_a),
                ("a2", self.citizen_a2),
                ("b", self.citizen_b),
                ("moved", self.citizen_moved),
            )
        }
        self.assertEqual(got, {"a": (3, 1, "job"), "a2": (10, 0, None), "b": (1, 1, "job"), "moved": (30, 1, "job")})
        self.assertEqual(spells[(self.citizen_b.pk, 0)]["belief"], 1)
        self.assertIsNone(spells[(self.citizen_a2.pk, 0)]["belief"])
        self.assertTrue(spells[(self.citizen_a2.pk, 0)]["dont_know"])
        self.assertEqual(spells[(self.citizen_a.pk, 0)]["measured_week"], W0)
        self.assertEqual((build.measurements, build.with_outcome, build.events), (4, 4, 3))
        # The persons are pseudonyms, never CPR numbers or names.
        self.assertEqual(spells[(self.citizen_a.pk, 0)]["person"], self.citizen_a.pseudonym)

        two_of_two = self.by_citizen(build_spells(self.project, Definition(k=2, n=2)))
        self.assertEqual(
            (two_of_two[(self.citizen_b.pk, 0)]["duration"], two_of_two[(self.citizen_b.pk, 0)]["event_type"]),
            (4, "education"),
        )
        # A run cut off by the end of data cannot be confirmed: A's job weeks 3-4 are 2 of 2, inside the data.
        self.assertEqual(two_of_two[(self.citizen_a.pk, 0)]["duration"], 3)
        short = self.by_citizen(build_spells(self.project, Definition(horizon_weeks=20)))
        self.assertEqual(
            (short[(self.citizen_moved.pk, 0)]["duration"], short[(self.citizen_moved.pk, 0)]["event"]), (20, 0)
        )

    def test_counting_process_splits_at_waves_and_caseworker_changes_and_agrees_with_the_spells(self) -> None:
        a, b = self.personas["caseworker_a"], self.personas["caseworker_b"]
        self.answer(self.wave0, a, self.citizen_moved, 2, START)
        self.answer(self.wave1, b, self.citizen_moved, 4, START + timedelta(weeks=13))
        self.answer(self.wave0, a, self.citizen_a, 5, START)
        self.import_x(status_rows(CPR["moved"], W0, "B" * 30 + "J") + status_rows(CPR["a"], W0, "B" * 40))
        build = build_spells(self.project)
        counting = counting_of(build)
        moved = counting.filter(pl.col("person") == self.citizen_moved.pseudonym)
        change = week_index(date(2025, 6, 2)) - W0  # the assignment to B starts 2 June 2025 (week 21)
        self.assertEqual(
            moved.select("start", "stop", "event", "belief", "caseworker_id", "wave", "changed").rows(),
            [
                (0, 13, 0, 2, a.pk, 0, 0),
                (13, change, 0, 4, b.pk, 1, 0),
                (change, 30, 1, 4, b.pk, 1, 1),
            ],
        )
        self.assertEqual(build.caseworker_changes, 1)
        spells = spells_of(build)
        first = spells.sort("measured_week").unique("person", keep="first", maintain_order=True)
        totals = counting.group_by("person").agg(
            (pl.col("stop") - pl.col("start")).sum().alias("time"), pl.col("event").sum().alias("events")
        )
        joined = first.join(totals, on="person")
        self.assertEqual(joined.height, 2)
        self.assertTrue((joined["time"] == joined["duration"]).all())
        self.assertTrue((joined["events"] == joined["event"]).all())

    def test_events_give_the_same_spells_as_weekly_status(self) -> None:
        y_worker = self.caseworker_y
        self.answer(self.wave0, y_worker, self.citizen_y, 3, START)
        outcome = import_events(
            f"cpr;event;date\n{CPR['y']};uddannelse;{START + timedelta(weeks=6, days=3):%d-%m-%Y}\n".encode(),
            project=self.project,
            municipality=self.y,
            covers_until=START + timedelta(weeks=40),
        )
        self.assertTrue(outcome.ok)
        spells = self.by_citizen(build_spells(self.project))
        row = spells[(self.citizen_y.pk, 0)]
        self.assertEqual((row["duration"], row["event"], row["event_type"]), (6, 1, "education"))
        # Without an event a citizen of the municipality is followed to the end of data.
        self.answer(self.wave0, y_worker, Citizen.objects.get(pk=self.citizen_y.pk), 3, START)
        import_events(
            f"cpr;event;date\n{CPR['y']};job;{START + timedelta(weeks=50):%d-%m-%Y}\n".encode(),
            project=self.project,
            municipality=self.y,
            covers_from=START,
            covers_until=START + timedelta(weeks=60),
        )
        censored = self.by_citizen(build_spells(self.project))[(self.citizen_y.pk, 0)]
        self.assertEqual((censored["duration"], censored["event"]), (50, 1))

    def test_a_citizen_without_outcome_data_has_no_duration(self) -> None:
        self.answer(self.wave0, self.personas["caseworker_a"], self.citizen_a, 3, START)
        build = build_spells(self.project)
        row = self.by_citizen(build)[(self.citizen_a.pk, 0)]
        self.assertIsNone(row["duration"])
        self.assertEqual((build.measurements, build.with_outcome, build.counting_rows), (1, 0, 0))

    def test_a_stored_code_the_mapping_lost_stops_the_build(self) -> None:
        StatusCodeOverride.objects.create(project=self.project, code="X1", category="job")
        self.import_x([f"{CPR['a']};2025-W03;X1"])
        StatusCodeOverride.objects.all().delete()
        with self.assertRaisesMessage(SpellError, "X1"):
            build_spells(self.project)
