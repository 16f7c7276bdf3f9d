"""The drivers analysis (jobtro.stats.drivers) on simulated data where belief depends on exactly two of
the five factors, and its one-factor mixed model and clustered least squares against statsmodels.

The simulation is the size of the project (80 caseworkers, 4 waves, about 15 citizens each): each
caseworker has a latent level per theme (a stable trait plus a wave-to-wave part, themes correlated
0.2), the questionnaire measures it with 2-3 noisy 5-point items (3 % "don't know"), and both the
general and the specific belief depend on the latent colleagues/sparring and labour-market levels only.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from jobtro.stats.drivers import (
    DriversResult,
    analyse,
    cronbach_alpha,
    fit_clustered_ols,
    fit_random_intercept,
    theme_scores,
)

THEMES = ("own", "colleagues", "leadership", "organisation", "market")
DRIVERS = {"colleagues": 1.0, "market": 1.0}  # relative weight of each true driver; the rest have none
ITEMS = {"own": 3, "colleagues": 3, "leadership": 2, "organisation": 2, "market": 3}
SEED = 7


def simulate(
    seed: int = SEED, n_caseworkers: int = 80, n_waves: int = 4, citizens_each: int = 15
) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    k = len(THEMES)
    corr = np.full((k, k), 0.2) + 0.8 * np.eye(k)
    trait = rng.multivariate_normal(np.zeros(k), corr, size=n_caseworkers) * 0.8
    weights = np.array([DRIVERS.get(t, 0.0) for t in THEMES])
    u_general = rng.normal(0, 9, n_caseworkers)
    u_specific = rng.normal(0, 0.35, n_caseworkers)
    n_citizens = n_caseworkers * citizens_each
    v_citizen = rng.normal(0, 0.6, n_citizens)
    owner = np.repeat(np.arange(n_caseworkers), citizens_each)

    staff, general, specific = [], [], []
    for wave in range(n_waves):
        latent = trait + rng.normal(0, 0.6, (n_caseworkers, k))
        drive = latent @ weights
        for w in range(n_caseworkers):
            for t, theme in enumerate(THEMES):
                for i in range(ITEMS[theme]):
                    value = int(np.clip(np.rint(3 + 0.9 * latent[w, t] + rng.normal(0, 0.6)), 1, 5))
                    answer = None if rng.random() < 0.03 else value
                    staff.append((w, wave, theme, f"{theme}_{i}", answer))
            share = float(np.clip(np.rint(45 + 6 * drive[w] + u_general[w] + rng.normal(0, 7)), 0, 100))
            believes = int(share + rng.normal(0, 10) > 45)
            general.append((w, wave, share, believes))
        # A tenth of the citizens change caseworker each wave, so the two random factors are crossed.
        moved = rng.random(n_citizens) < 0.1
        owner = np.where(moved, rng.integers(0, n_caseworkers, n_citizens), owner)
        for c in range(n_citizens):
            w = int(owner[c])
            mean = 2.8 + 0.22 * drive[w] + u_specific[w] + v_citizen[c]
            specific.append((w, c, wave, int(np.clip(np.rint(mean + rng.normal(0, 0.6)), 1, 5))))
    return {
        "staff": pl.DataFrame(staff, schema=["caseworker_id", "wave", "theme", "item", "value"], orient="row"),
        "general": pl.DataFrame(general, schema=["caseworker_id", "wave", "share_pct", "believes"], orient="row"),
        "specific": pl.DataFrame(specific, schema=["caseworker_id", "citizen_id", "wave", "belief"], orient="row"),
    }


@pytest.fixture(scope="module")
def data() -> dict[str, pl.DataFrame]:
    return simulate()


@pytest.fixture(scope="module")
def result(data: dict[str, pl.DataFrame]) -> DriversResult:
    return analyse(data["staff"], data["general"], data["specific"], themes=THEMES)


@pytest.mark.parametrize(
    ("outcome", "design"),
    [
        ("general_share", "levels"),
        ("general_believes", "levels"),
        ("specific_belief", "levels"),
        ("general_share", "changes"),
        ("specific_belief", "changes"),
    ],
)
def test_it_finds_the_two_drivers_and_not_the_others(result: DriversResult, outcome: str, design: str) -> None:
    model = result.model(outcome, design)
    assert model.reason is None
    assert [e.name for e in model.estimates] == list(THEMES)
    for e in model.estimates:
        if e.name in DRIVERS:
            assert e.ci_low > 0, f"{outcome}/{design}: {e.name} should be found, CI {e.ci_low:.3f}..{e.ci_high:.3f}"
        else:
            assert e.ci_low < 0 < e.ci_high, f"{outcome}/{design}: {e.name} should not be found, {e}"


def test_it_counts_what_each_model_rests_on(result: DriversResult, data: dict[str, pl.DataFrame]) -> None:
    levels = result.model("specific_belief", "levels")
    assert levels.n_caseworkers == 80
    assert levels.n_citizens == data["specific"]["citizen_id"].n_unique()
    # Rows whose caseworker-wave has a score on every theme (not only "don't know" on one of them).
    complete = theme_scores(data["staff"], THEMES).drop_nulls().select("caseworker_id", "wave")
    assert levels.n_rows == data["specific"].join(complete, on=["caseworker_id", "wave"]).height
    share = result.model("general_share", "levels")
    assert (share.n_rows, share.n_caseworkers) == (complete.height, 80)
    assert complete.height > 300
    changes = result.model("general_share", "changes")
    assert 0 < changes.n_rows <= complete.height - 80


def test_it_summarises_the_themes_per_wave_with_intervals(result: DriversResult) -> None:
    assert len(result.summaries) == 4 * len(THEMES)
    for s in result.summaries:
        assert 1 <= s.ci_low < s.mean < s.ci_high <= 5
        assert 75 <= s.n <= 80  # a caseworker with only "don't know" on a theme has no score on it
    for theme in THEMES:
        alpha = result.alphas[theme]
        assert alpha is not None and 0.5 < alpha < 1


def test_it_scores_a_theme_as_the_mean_of_its_answered_items() -> None:
    staff = pl.DataFrame(
        {
            "caseworker_id": [1, 1, 1, 1, 2],
            "wave": [0, 0, 0, 0, 0],
            "theme": ["own", "own", "market", "market", "own"],
            "item": ["own_0", "own_1", "market_0", "market_1", "own_0"],
            "value": [4, 2, None, 5, None],
        }
    )
    scores = theme_scores(staff, ["own", "market"])
    assert scores.rows() == [(1, 0, 3.0, 5.0)]  # caseworker 2 answered only "don't know"


def test_it_leaves_out_a_model_with_too_few_caseworkers(data: dict[str, pl.DataFrame]) -> None:
    few = {name: frame.filter(pl.col("caseworker_id") < 5) for name, frame in data.items()}
    result = analyse(few["staff"], few["general"], few["specific"], themes=THEMES)
    for model in result.models:
        assert model.estimates == ()
        assert model.reason is not None and "too few" in model.reason


def test_it_adjusts_for_focus_areas_and_drops_one_the_waves_absorb(data: dict[str, pl.DataFrame]) -> None:
    # Half of the caseworkers' municipality took up a focus area from wave 2; another area was taken up
    # by everyone at wave 1, which the wave effects absorb.
    rows = [(w, t, float(w < 40 and t >= 2), float(t >= 1)) for w in range(80) for t in range(4)]
    covariates = pl.DataFrame(rows, schema=["caseworker_id", "wave", "focus_sparring", "focus_everyone"], orient="row")
    result = analyse(data["staff"], data["general"], data["specific"], themes=THEMES, covariates=covariates)
    assert result.covariates == ("focus_sparring", "focus_everyone")
    names = [e.name for e in result.model("general_share", "levels").estimates]
    assert names == [*THEMES, "focus_sparring"]
    focus = result.model("general_share", "levels").estimates[-1]
    assert focus.ci_low < 0 < focus.ci_high  # the simulation gave the focus area no effect


# --- the estimators against statsmodels -------------------------------------------------------------


def _general_frame(data: dict[str, pl.DataFrame]) -> pl.DataFrame:
    scores = theme_scores(data["staff"], THEMES).drop_nulls()
    return data["general"].join(scores, on=["caseworker_id", "wave"]).sort("caseworker_id", "wave")


def test_the_random_intercept_model_matches_statsmodels_mixedlm(data: dict[str, pl.DataFrame]) -> None:
    frame = _general_frame(data)
    ours = fit_random_intercept(frame, y="share_pct", x=list(THEMES))
    pdf = frame.to_pandas()
    theirs = smf.mixedlm("share_pct ~ " + " + ".join(THEMES), pdf, groups=pdf["caseworker_id"]).fit(reml=True)
    # The same REML optimum: fixed effects and variances to 1e-4 (statsmodels iterates to its own
    # tolerance). Standard errors are lme4's, sigma^2 (X'V^-1 X)^-1: to 1e-3 of that formula evaluated at
    # statsmodels' variance estimates; statsmodels' own bse_fe come from the observed information of all
    # parameters together and differ by up to 2 %.
    np.testing.assert_allclose(ours.params, theirs.fe_params.to_numpy(), rtol=1e-4)
    x = np.column_stack([np.ones(len(pdf)), pdf[list(THEMES)].to_numpy()])
    same = (pdf["caseworker_id"].to_numpy()[:, None] == pdf["caseworker_id"].to_numpy()[None, :]).astype(float)
    v = float(theirs.scale) * np.eye(len(pdf)) + float(theirs.cov_re.iloc[0, 0]) * same
    gls_se = np.sqrt(np.diag(np.linalg.inv(x.T @ np.linalg.solve(v, x))))
    np.testing.assert_allclose(ours.se, gls_se, rtol=1e-3)
    np.testing.assert_allclose(ours.se, theirs.bse_fe.to_numpy(), rtol=2e-2)
    np.testing.assert_allclose(ours.variances[0], float(theirs.cov_re.iloc[0, 0]), rtol=1e-3)
    np.testing.assert_allclose(ours.variances[1], float(theirs.scale), rtol=1e-4)
    np.testing.assert_allclose(ours.loglik, float(theirs.llf), rtol=1e-6)
    ml = fit_random_intercept(frame, y="share_pct", x=list(THEMES), reml=False)
    theirs_ml = smf.mixedlm("share_pct ~ " + " + ".join(THEMES), pdf, groups=pdf["caseworker_id"]).fit(reml=False)
    np.testing.assert_allclose(ml.params, theirs_ml.fe_params.to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(ml.loglik, float(theirs_ml.llf), rtol=1e-6)


def test_the_clustered_least_squares_match_statsmodels(data: dict[str, pl.DataFrame]) -> None:
    frame = _general_frame(data)
    ours = fit_clustered_ols(frame, y="share_pct", x=list(THEMES))
    pdf = frame.to_pandas()
    exog = sm.add_constant(pdf[list(THEMES)])
    theirs = sm.OLS(pdf["share_pct"], exog).fit(
        cov_type="cluster", cov_kwds={"groups": pdf["caseworker_id"]}, use_t=True
    )
    np.testing.assert_allclose(ours.params, theirs.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.se, theirs.bse.to_numpy(), rtol=1e-10)
    low, high = ours.conf_int()
    np.testing.assert_allclose(low, theirs.conf_int().iloc[:, 0].to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(high, theirs.conf_int().iloc[:, 1].to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(ours.pvalues(), theirs.pvalues.to_numpy(), rtol=1e-6)


def test_cronbach_alpha_of_identical_items_is_one() -> None:
    staff = pl.DataFrame(
        {
            "caseworker_id": [1, 1, 2, 2, 3, 3],
            "wave": [0] * 6,
            "theme": ["own"] * 6,
            "item": ["a", "b"] * 3,
            "value": [1, 1, 3, 3, 5, 5],
        }
    )
    assert cronbach_alpha(staff, "own") == pytest.approx(1.0)


def test_it_says_so_when_no_caseworker_changed_an_answer(data: dict[str, pl.DataFrame]) -> None:
    steady = data["general"].with_columns((pl.col("caseworker_id") % 2).alias("believes"))
    result = analyse(data["staff"], steady, data["specific"], themes=THEMES)
    model = result.model("general_believes", "changes")
    assert model.estimates == ()
    assert model.reason is not None and model.reason.startswith("no caseworker changed")
    assert result.model("general_believes", "levels").reason is None


def test_it_adjusts_for_columns_it_does_not_report(data: dict[str, pl.DataFrame]) -> None:
    rows = [(w, t, float(w % 3 == 0), float(w % 3 == 1), float(w % 3 == 2)) for w in range(80) for t in range(4)]
    covariates = pl.DataFrame(rows, schema=["caseworker_id", "wave", "m_a", "m_b", "m_c"], orient="row")
    result = analyse(
        data["staff"],
        data["general"],
        data["specific"],
        themes=THEMES,
        covariates=covariates,
        adjust=["m_a", "m_b", "m_c"],
    )
    assert result.covariates == ()
    for model in result.models:
        assert [e.name for e in model.estimates] == list(THEMES)
