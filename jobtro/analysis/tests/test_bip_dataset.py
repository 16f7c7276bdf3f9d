"""Pieces of the live BIP dataset and analysis on small hand-made frames: the general belief in force
(latest at or before, else the nearest later answer), and splitting person-time at a focus area's
take-up (the event stays with the part that holds its week, no person-time is lost)."""

from __future__ import annotations

import polars as pl
from django.test import SimpleTestCase

from jobtro.analysis.bip_live import _split
from jobtro.analysis.dataset import general_in_force


class GeneralInForceTests(SimpleTestCase):
    def test_it_takes_the_latest_answer_at_or_before_else_the_nearest_later_one(self) -> None:
        answers = pl.DataFrame(
            {"caseworker_id": [1, 1, 2], "week": [10, 20, 30], "general": [1.0, 0.0, 1.0]},
            schema={"caseworker_id": pl.Int64, "week": pl.Int64, "general": pl.Float64},
        )
        rows = pl.DataFrame(
            {"caseworker_id": [1, 1, 1, 1, 2, 3], "__week": [5, 10, 19, 25, 3, 12]},
            schema={"caseworker_id": pl.Int64, "__week": pl.Int64},
        )
        self.assertEqual(general_in_force(rows, answers).to_list(), [1.0, 1.0, 1.0, 0.0, 1.0, None])


class SplitTests(SimpleTestCase):
    rows = pl.DataFrame(
        {
            "week0": [100, 100, 110],
            "start": [0, 10, 0],
            "stop": [10, 20, 5],
            "event": [0, 1, 1],
        },
        schema={"week0": pl.Int64, "start": pl.Int64, "stop": pl.Int64, "event": pl.Int8},
    )

    def test_a_row_across_the_take_up_is_split_and_its_event_stays_after(self) -> None:
        before, after = _split(self.rows, cut_week=115)
        self.assertEqual(before.select("start", "stop", "event").rows(), [(0, 10, 0), (10, 15, 0), (0, 5, 1)])
        self.assertEqual(after.select("start", "stop", "event").rows(), [(15, 20, 1)])

        def time(frame: pl.DataFrame) -> int:
            return int((frame["stop"] - frame["start"]).sum())

        self.assertEqual(time(before) + time(after), time(self.rows))
        self.assertEqual(int(before["event"].sum()) + int(after["event"].sum()), int(self.rows["event"].sum()))

    def test_a_take_up_before_everything_leaves_nothing_before(self) -> None:
        before, after = _split(self.rows, cut_week=50)
        self.assertEqual(before.height, 0)
        self.assertEqual(
            after.select("start", "stop", "event").rows(), self.rows.select("start", "stop", "event").rows()
        )
