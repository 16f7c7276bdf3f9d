"""`jobtro analyse cox`: the JSON is fit_cox's result, the table is readable, and every kind of bad input
ends with one clear line and exit status 2."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jobtro.stats.cox import fit_cox
from jobtro.stats.frailty import fit_cox_frailty
from jobtro.stats.tests.results.frailty_results import CASES as FRAILTY_CASES

DATA = Path(__file__).resolve().parents[2] / "stats" / "tests" / "results" / "data"
WEEKLY = str(DATA / "cox_weekly.csv")
COUNTING = str(DATA / "cox_counting.csv")
FRAILTY_COUNTING = str(DATA / "frailty_counting.csv")


def analyse(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("analyse", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failure(*args: str) -> str:
    with pytest.raises(CommandError) as raised:
        analyse(*args)
    assert raised.value.returncode == 2
    message = str(raised.value)
    assert "\n" not in message
    return message


def assert_same(printed: dict[str, Any], expected: dict[str, Any]) -> None:
    assert printed.keys() == expected.keys()
    assert list(printed["params"]) == list(expected["params"])
    for key in ("n", "events", "ties"):
        assert printed[key] == expected[key]
    assert math.isclose(printed["loglik"], expected["loglik"], rel_tol=1e-12)
    for name, values in expected["params"].items():
        for key, value in values.items():
            if value is None:
                assert printed["params"][name][key] is None
            else:
                assert math.isclose(printed["params"][name][key], value, rel_tol=1e-12), (name, key)


def test_json_is_fit_cox_with_clusters_and_strata() -> None:
    out, err = analyse(
        "cox", WEEKLY, "--time", "time", "--event", "event", "--x", "belief, age,female", "--strata", "site",
        "--cluster", "caseworker", "--json",
    )  # fmt: skip
    printed = json.loads(out)
    expected = fit_cox(
        pl.read_csv(WEEKLY),
        time="time",
        event="event",
        x=["belief", "age", "female"],
        strata="site",
        cluster="caseworker",
    )
    assert_same(printed, expected.to_dict())
    assert printed["ties"] == "efron" and printed["params"]["belief"]["robust_se"] is not None
    assert err == ""


def test_json_for_counting_process_data_with_breslow_ties_and_weights() -> None:
    out, _ = analyse(
        "cox", COUNTING, "--time", "stop", "--start", "start", "--event", "event", "--x", "belief,age",
        "--ties", "breslow", "--json",
    )  # fmt: skip
    expected = fit_cox(
        pl.read_csv(COUNTING), time="stop", start="start", event="event", x=["belief", "age"], ties="breslow"
    )
    assert_same(json.loads(out), expected.to_dict())
    assert json.loads(out)["params"]["age"]["robust_se"] is None
    out, _ = analyse("cox", WEEKLY, "--time", "time", "--event", "event", "--x", "belief", "--weights", "w", "--json")
    expected = fit_cox(pl.read_csv(WEEKLY), time="time", event="event", x="belief", weights="w")
    assert_same(json.loads(out), expected.to_dict())


def test_semicolon_files_and_parquet_are_read(tmp_path: Path) -> None:
    frame = pl.read_csv(WEEKLY)
    frame.write_csv(tmp_path / "weekly.csv", separator=";")
    frame.write_parquet(tmp_path / "weekly.parquet")
    expected = fit_cox(frame, time="time", event="event", x=["belief", "score"]).to_dict()
    for name in ("weekly.csv", "weekly.parquet"):
        out, _ = analyse(
            "cox", str(tmp_path / name), "--time", "time", "--event", "event", "--x", "belief,score", "--json"
        )
        assert_same(json.loads(out), expected)


def test_without_json_it_prints_a_table() -> None:
    out, _ = analyse(
        "cox", WEEKLY, "--time", "time", "--event", "event", "--x", "belief,age", "--cluster", "caseworker"
    )
    assert out.startswith("Cox proportional hazards (efron ties): n = 600, events = ")
    assert "clusters = 40" in out and "robust se" in out and "95% CI for HR" in out
    assert out.count("\n") == 5  # header, column titles, two covariates, likelihood line


@pytest.fixture
def bad_file(tmp_path: Path) -> Any:
    def write(text: str, name: str = "bad.csv") -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def test_bad_input_ends_with_one_clear_line(bad_file: Any) -> None:
    base = ("--time", "t", "--event", "e", "--x", "x")
    good = "t,e,x,s\n1,1,0.5,0\n2,0,1.5,2\n3,1,2.5,1\n"
    assert "column 'y' not in the data" in failure("cox", bad_file(good), "--time", "t", "--event", "e", "--x", "x,y")
    assert "column 'x' is not numeric (String; row 2 is 'high')" in failure(
        "cox", bad_file("t,e,x\n1,1,0.5\n2,0,high\n3,1,2\n"), *base
    )
    assert "column 'x' has missing values" in failure("cox", bad_file("t,e,x\n1,1,0.5\n2,0,NA\n3,1,2\n"), *base)
    assert "column 't' has negative times" in failure("cox", bad_file("t,e,x\n1,1,0.5\n-2,0,1\n3,1,2\n"), *base)
    assert "'t' must be after 's' in every row: 1 row has t <= s (first: row 2, s 2, t 2)" in failure(
        "cox", bad_file(good), *base, "--start", "s"
    )
    assert "no events" in failure("cox", bad_file("t,e,x\n1,0,0.5\n2,0,1\n3,0,2\n"), *base)
    assert "column 'e' must be 0 or 1" in failure("cox", bad_file("t,e,x\n1,3,0.5\n2,0,1\n3,1,2\n"), *base)
    assert "No such file or directory" in failure("cox", bad_file(good) + ".missing", *base)
    assert "the file is empty" in failure("cox", bad_file(""), *base)
    assert "the table has no rows" in failure("cox", bad_file("t,e,x\n"), *base)
    assert "cannot be read as a Parquet table" in failure("cox", bad_file("not parquet", "x.parquet"), *base)
    assert "--x: empty column name" in failure("cox", bad_file(good), "--time", "t", "--event", "e", "--x", "x,")
    assert "information matrix is singular" in failure("cox", bad_file("t,e,x\n1,1,1\n2,0,1\n3,1,1\n"), *base)


def test_frailty_json_is_fit_cox_frailty_and_matches_r() -> None:
    case = FRAILTY_CASES["counting_efron"]
    out, err = analyse(
        "cox", FRAILTY_COUNTING, "--time", "stop", "--start", "start", "--event", "event", "--x",
        "belief,age,changed", "--frailty", "caseworker", "--json",
    )  # fmt: skip
    printed = json.loads(out)
    expected = fit_cox_frailty(
        pl.read_csv(FRAILTY_COUNTING),
        time="stop",
        start="start",
        event="event",
        x=["belief", "age", "changed"],
        group="caseworker",
    ).to_dict()
    assert printed["theta"] == pytest.approx(expected["theta"], rel=1e-12)
    assert_same({k: v for k, v in printed.items() if k != "theta"}, {k: v for k, v in expected.items() if k != "theta"})
    assert printed["theta"] == pytest.approx(case["theta"], rel=1e-8)  # R
    assert printed["loglik"] == pytest.approx(case["loglik"], rel=1e-10)  # R's integrated log likelihood
    for i, name in enumerate(case["x"]):
        assert printed["params"][name]["coef"] == pytest.approx(case["coef"][i], rel=1e-8)
        assert printed["params"][name]["se"] == pytest.approx(case["se"][i], rel=1e-8)
        assert printed["params"][name]["robust_se"] is None
    assert err == ""


def test_frailty_table_and_options() -> None:
    out, _ = analyse(
        "cox", WEEKLY, "--time", "time", "--event", "event", "--x", "belief,age", "--frailty", "caseworker",
        "--strata", "site", "--ties", "breslow",
    )  # fmt: skip
    assert out.startswith("Cox proportional hazards with a shared gamma frailty (breslow ties): n = 600")
    assert "groups = 40, strata = 3" in out and "frailty variance" in out and "se2" in out
    for other in ("--cluster", "--weights"):
        column = "caseworker" if other == "--cluster" else "w"
        message = failure(
            "cox", WEEKLY, "--time", "time", "--event", "event", "--x", "belief", "--frailty", "caseworker", other,
            column,
        )  # fmt: skip
        assert message == f"--frailty cannot be combined with {other}"
    assert "column 'nurse' not in the data" in failure(
        "cox", WEEKLY, "--time", "time", "--event", "event", "--x", "belief", "--frailty", "nurse"
    )


def test_argument_errors_name_the_subcommand() -> None:
    with pytest.raises(CommandError, match="the following arguments are required: --x"):
        analyse("cox", WEEKLY, "--time", "time", "--event", "event")
    with pytest.raises(CommandError, match="invalid choice: 'nope'"):
        analyse("nope")
    with pytest.raises(CommandError, match="invalid choice: 'exact'"):
        analyse("cox", WEEKLY, "--time", "time", "--event", "event", "--x", "belief", "--ties", "exact")


def test_the_console_command_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("t,e,x\n1,1,0.5\n2,0,high\n", encoding="utf-8")
    done = subprocess.run(  # noqa: S603 - our own console entry point with fixed arguments
        [sys.executable, "-m", "jobtro.cli", "analyse", "cox", str(bad), "--time", "t", "--event", "e", "--x", "x"],
        capture_output=True,
        text=True,
        check=False,
        env={"JOBTRO_DEBUG": "1", "PATH": "/usr/bin:/bin", "JOBTRO_VAR_DIR": str(tmp_path / "var")},
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == ["CommandError: column 'x' is not numeric (String; row 2 is 'high')"]
