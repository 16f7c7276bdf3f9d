"""Expectation feedback for a caseworker: of the citizens they themselves rated at each level of the
specific belief, how many got a job or education within the horizon - beside the same share for the
whole project (every caseworker pooled, no one named).

Computed live from the latest :class:`~jobtro.outcomes.models.SpellBuild` (the spells Parquet filtered
to the caseworker's own answers, as decided by ``access.feedback_answers``). On the demo's data (9,890
spells, 76 caseworkers) the numbers take about 20 ms and the plot about 150 ms, so nothing is stored.

Which numbers are shown
-----------------------
- A share is the Kaplan-Meier share in job or education by the horizon
  (:func:`jobtro.analysis.calibration_live.shares_by`, i.e. :func:`jobtro.stats.calibration.observed_shares`
  with time = duration + event as that module says), with its 95 % interval and the number of answers and
  citizens it rests on. Citizens not yet followed for the whole horizon count for as long as they have
  been followed; when nobody in a group has been followed that long, the share covers the group's
  longest follow-up (``Share.followed``) and the page says so.
- The caseworker's own share at a level is shown only when it rests on at least the disclosure
  threshold of different citizens (default 5): these are their own citizens, but a share of three
  people misleads more than it informs ("for få borgere endnu").
- The project's pooled share at a level is shown only when, without the viewer's own answers, it still
  rests on at least the threshold of citizens and at least :data:`MIN_OTHER_CASEWORKERS` other
  caseworkers. Otherwise a caseworker could subtract their own numbers from the pooled ones and read
  off a single colleague's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl
from django.utils.translation import pgettext

from jobtro.analysis.calibration_live import DONT_KNOW, ObservedShare, shares_by, spells_frame
from jobtro.measurement.models import Item
from jobtro.organisation import access
from jobtro.organisation.access import AnyUser
from jobtro.organisation.models import Project
from jobtro.outcomes.models import SpellBuild
from jobtro.outcomes.spells import SPECIFIC_BELIEF
from jobtro.reports import disclosure

LEVELS: Final = (5, 4, 3, 2, 1, DONT_KNOW)  # the order of the answer options on the rating page
# Pooled shares are shown only if the rest of the project (without the viewer) spans this many caseworkers.
MIN_OTHER_CASEWORKERS: Final = 2


@dataclass(frozen=True)
class Share:
    """A share in job or education by the horizon with its 95 % interval; ``shown`` False means it rests
    on too few people to show (then share and interval are None)."""

    answers: int
    citizens: int
    events: int
    share: float | None
    ci_low: float | None
    ci_high: float | None
    shown: bool
    followed: float = 0.0  # weeks the share covers (the horizon, or the longest follow-up if shorter)


@dataclass(frozen=True)
class LevelFeedback:
    level: int  # 1-5, or DONT_KNOW
    own: Share
    project: Share


@dataclass(frozen=True)
class Feedback:
    """A caseworker's feedback from one spell build."""

    build: SpellBuild
    horizon_weeks: int
    citizen_ids: frozenset[int]  # the citizens behind the own numbers (own answers with outcome data)
    answers: int  # own answers with outcome data
    without_outcome: int  # own answers whose citizens have no outcome data yet
    levels: tuple[LevelFeedback, ...]

    @property
    def any_shown(self) -> bool:
        return any(level.own.shown for level in self.levels)


def own_spells(spells: pl.DataFrame, user: AnyUser, project: Project) -> pl.DataFrame:
    """The spells of the user's own specific-belief answers in the project (``access.feedback_answers``):
    the measurement's caseworker is the user and the user answered about that citizen in that wave."""
    pairs = (
        access.feedback_answers(user)
        .filter(wave__project=project)
        .order_by()
        .values_list("wave__number", "citizen_id")
        .distinct()
    )
    keys = pl.DataFrame(list(pairs), schema={"wave": pl.Int64, "citizen_id": pl.Int64}, orient="row")
    return spells.filter(pl.col("caseworker_id") == user.pk).join(keys, on=["wave", "citizen_id"], how="semi")


def _share(found: ObservedShare | None, shown: bool) -> Share:
    if found is None:
        return Share(0, 0, 0, None, None, None, False)
    if not shown:
        return Share(found.n, found.citizens, found.events, None, None, None, False, found.followed)
    return Share(found.n, found.citizens, found.events, found.share, found.ci_low, found.ci_high, True, found.followed)


def own_feedback(build: SpellBuild, user: AnyUser, project: Project, *, spells: pl.DataFrame | None = None) -> Feedback:
    """The user's feedback from ``build``: their own shares per level and the project's pooled ones."""
    spells = spells_frame(build) if spells is None else spells
    horizon = int(build.horizon_weeks)
    threshold = disclosure.threshold()
    own = own_spells(spells, user, project)
    own_shares, all_shares = shares_by(own, "level", horizon), shares_by(spells, "level", horizon)
    others = spells.filter(pl.col("caseworker_id") != user.pk)
    other_reach = {
        int(r["level"]): (int(r["citizens"]), int(r["caseworkers"]))
        for r in others.group_by("level")
        .agg(pl.col("citizen_id").n_unique().alias("citizens"), pl.col("caseworker_id").n_unique().alias("caseworkers"))
        .iter_rows(named=True)
    }
    levels = []
    for level in LEVELS:
        mine = own_shares.get(level)
        other_citizens, other_caseworkers = other_reach.get(level, (0, 0))
        pooled_ok = other_citizens >= threshold and other_caseworkers >= MIN_OTHER_CASEWORKERS
        levels.append(
            LevelFeedback(
                level,
                _share(mine, mine is not None and mine.citizens >= threshold),
                _share(all_shares.get(level), pooled_ok),
            )
        )
    total_answers = access.feedback_answers(user).filter(wave__project=project).order_by()
    rated = total_answers.values_list("wave__number", "citizen_id").distinct().count()
    return Feedback(
        build=build,
        horizon_weeks=horizon,
        citizen_ids=frozenset(own["citizen_id"].to_list()),
        answers=own.height,
        without_outcome=max(0, rated - own.height),
        levels=tuple(levels),
    )


def level_labels(project: Project, danish: bool) -> dict[int, str]:
    """The answer labels of the specific belief as the project's newest instrument version words them."""
    from jobtro.measurement.instrument_defaults import SCALE_OPTIONS

    item = (
        Item.objects.filter(key=SPECIFIC_BELIEF, version__waves__project=project)
        .order_by("-version__number", "-pk")
        .first()
    )
    options = item.options if item is not None and item.options else SCALE_OPTIONS
    key = "label_da" if danish else "label_en"
    labels = {int(o["value"]): str(o.get(key) or o["label_da"]) for o in options}
    labels[DONT_KNOW] = pgettext("rating", "Don't know")
    return labels
