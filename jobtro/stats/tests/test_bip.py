"""The BIP analysis in one call, on simulated data with known effects."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from jobtro.stats.bip import EXPLANATION, bip_analysis, bip_dataset, covariates, read_tables, target_groups
from jobtro.stats.cox import fit_cox
from jobtro.stats.simulate import Simulation, demo_config, simulate, write


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return simulate(replace(demo_config(seed=3), frailty_variance=0.0))


def test_the_population_average_fit_is_the_cluster_robust_cox_fit_of_the_dataset(sim: Simulation) -> None:
    result = bip_analysis(sim.tables(), within=False)
    rows = bip_dataset(sim.tables())
    direct = fit_cox(rows, time="stop", event="event", start="start", x=covariates(rows), cluster="caseworker_id")
    np.testing.assert_allclose([e.hr for e in result.effects], np.exp(direct.params), rtol=1e-12)
    np.testing.assert_allclose([e.ci_low for e in result.effects], direct.conf_int()[:, 0], rtol=1e-12)
    assert [e.name for e in result.effects][:3] == ["belief", "general", "changed"]
    assert result.effects[0].label == "specific belief, one step up (of 5)"
    assert result.reference_group == target_groups(sim.citizens)[0] == "aktivitetsparat kontanthjælpsmodtager"
    assert (result.rows, result.events) == (rows.height, int(rows["event"].sum()))
    assert result.caseworkers == sim.caseworkers.height
    assert result.theta is None and result.effects[0].hr_within is None
    assert "not collapsible" in EXPLANATION


def test_the_effects_are_near_the_truth(sim: Simulation) -> None:
    result = bip_analysis(sim.tables(), within=False)
    by_name = {e.name: e for e in result.effects}
    config = sim.config
    for name, truth in (("belief", config.hr_belief), ("general", config.hr_general_belief)):
        effect = by_name[name]
        # Within the 99.9 % interval (the demo is small: ~2,600 citizens).
        se = (math.log(effect.ci_high) - math.log(effect.ci_low)) / (2 * 1.96)
        assert abs(math.log(effect.hr) - math.log(truth)) < 3.3 * se, (name, effect.hr, truth)


def test_it_reads_the_files_simulate_writes(sim: Simulation, tmp_path: Path) -> None:
    write(sim, tmp_path, formats=("csv",))
    tables = read_tables(tmp_path)
    assert set(tables) == {"citizens", "caseworkers", "assignments", "specific_beliefs", "weekly_status"}
    assert bip_dataset(tables).equals(bip_dataset(sim.tables()))
    (tmp_path / "citizens.csv").unlink()
    with pytest.raises(FileNotFoundError, match="citizens"):
        read_tables(tmp_path)


def test_the_dataset_has_one_row_per_interval_between_waves_and_changes(sim: Simulation) -> None:
    rows = bip_dataset(sim.tables())
    assert rows.filter(pl.col("start") >= pl.col("stop")).is_empty()
    # Rows of a citizen do not overlap and at most the last has the event.
    per_citizen = rows.group_by("citizen_id").agg(
        (pl.col("stop") - pl.col("start")).sum().alias("time"),
        (pl.col("stop").max() - pl.col("start").min()).alias("span"),
        pl.col("event").sum().alias("events"),
        pl.col("event").last().alias("last_event"),
    )
    assert per_citizen.filter(pl.col("time") > pl.col("span")).is_empty()
    assert per_citizen.filter(pl.col("events") > 1).is_empty()
    assert per_citizen.filter((pl.col("events") == 1) & ~pl.col("last_event")).is_empty()


def test_the_within_caseworker_fit_is_the_gamma_frailty_fit_of_the_dataset() -> None:
    from jobtro.stats.frailty import fit_cox_frailty

    sim = simulate(replace(demo_config(seed=4), frailty_variance=0.2))
    result = bip_analysis(sim.tables())
    rows = bip_dataset(sim.tables())
    direct = fit_cox_frailty(
        rows, time="stop", event="event", start="start", x=covariates(rows), group="caseworker_id", outer_max=30
    )
    np.testing.assert_allclose([e.hr_within for e in result.effects], np.exp(direct.params), rtol=1e-12)
    assert result.theta == pytest.approx(direct.theta) and 0 < result.theta < 1
    assert result.within_converged
    # The within-caseworker interval covers the simulator's conditional truth (a fixed seed: deterministic).
    belief = result.effects[0]
    assert belief.ci_low_within is not None and belief.ci_high_within is not None
    assert belief.ci_low_within < sim.config.hr_belief < belief.ci_high_within
