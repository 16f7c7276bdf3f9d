"""The demo's outcomes come through the import path, and the spells built from them are the spells of the
simulated weekly status itself (same measurements, same end of data)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
from django.test import TestCase

from jobtro.lib.outcome_files import week_index
from jobtro.measurement.identity import pseudonym_for
from jobtro.organisation.demo import EVENT_MUNICIPALITY, REGISTER_LAG_WEEKS, demo_start, load_demo
from jobtro.outcomes.models import Kind, OutcomeImport, SpellBuild
from jobtro.outcomes.spells import spells_of
from jobtro.stats.simulate import demo_config, simulate
from jobtro.stats.spells import first_event

TODAY = date(2026, 11, 27)


class DemoOutcomeTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.summary = load_demo(today=TODAY, analyses=())

    def test_every_municipality_delivered_a_file_through_the_import(self) -> None:
        imports = OutcomeImport.objects.select_related("store__municipality")
        self.assertEqual(
            sorted((i.store.municipality.code, i.store.kind) for i in imports if i.store.municipality),
            sorted(
                (code, Kind.EVENTS if code == EVENT_MUNICIPALITY else Kind.STATUS)
                for code in ("0147", "0540", "0727", "0740")
            ),
        )
        self.assertTrue(all(i.identified_by == "cpr" and i.file_format == "csv" for i in imports))
        self.assertEqual(SpellBuild.objects.count(), 1)

    def test_the_spells_are_those_of_the_simulated_status(self) -> None:
        start = demo_start(TODAY)
        sim = simulate(replace(demo_config(), start=start))
        now_week = (TODAY - start).days // 7
        until = now_week - REGISTER_LAG_WEEKS
        first = week_index(start)
        # The truth: the simulated status up to the extract's end, by pseudonym, in week indices.
        people = sim.citizens.select(
            "citizen_id", pl.col("cpr").map_elements(pseudonym_for, return_dtype=pl.String).alias("person")
        )
        status = (
            sim.weekly_status.filter(pl.col("week") < until)
            .join(people, on="citizen_id")
            .select(
                "person",
                (pl.col("week").cast(pl.Int32) + first).alias("week"),
                pl.col("status").cast(pl.String).alias("category"),
            )
        )
        built = spells_of(SpellBuild.objects.get())
        self.assertGreater(built.height, 5000)
        truth = first_event(status, built.select("person", "measured_week", "citizen_id", "wave"))
        compared = built.join(truth, on=["citizen_id", "wave"], suffix="_truth")
        self.assertEqual(compared.height, built.height)
        for column in ("duration", "event", "event_type"):
            mismatched = compared.filter(pl.col(column).ne_missing(pl.col(f"{column}_truth")))
            self.assertEqual(
                mismatched.height,
                0,
                (
                    column,
                    mismatched.select(
                        "citizen_id",
                        "measured_week",
                        "event_week",
                        "duration",
                        "event",
                        "event_week_truth",
                        "duration_truth",
                    ).rows(),
                ),
            )
        # The events municipality's citizens have spells too, with events.
        self.assertGreater(built.filter(pl.col("event") == 1).height, 500)
