"""`jobtro analyse bip DATA_DIR`: the table, the JSON and one-line errors."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jobtro.stats.simulate import demo_config, simulate, write


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bip")
    write(simulate(replace(demo_config(seed=5), weeks=60)), directory, formats=("parquet",))
    return directory


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("analyse", "bip", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_table(data_dir: Path) -> None:
    text = run(str(data_dir))
    assert "specific belief, one step up (of 5)" in text
    assert "population-average HR (95% CI)" in text
    assert "caseworker generally believes" in text
    assert "within-caseworker HR (95% CI)" in text and "not collapsible" in text


def test_json_has_every_effect_with_its_interval(data_dir: Path) -> None:
    payload = json.loads(run(str(data_dir), "--json"))
    belief = payload["effects"]["belief"]
    assert belief["ci_low"] < belief["hr"] < belief["ci_high"]
    assert payload["events"] > 100 and payload["caseworkers"] == 76
    assert 0 < payload["theta"] < 2 and payload["within_converged"] is True
    assert belief["ci_low_within"] < belief["hr_within"] < belief["ci_high_within"]
    population = json.loads(run(str(data_dir), "--population-only", "--json"))
    assert population["theta"] is None and population["effects"]["belief"]["hr_within"] is None
    assert population["effects"]["belief"]["hr"] == belief["hr"]


def test_a_missing_directory_or_table_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for directory in (tmp_path / "nope", tmp_path):
        with pytest.raises(CommandError) as raised:
            run(str(directory))
        assert raised.value.returncode == 2
        assert "\n" not in str(raised.value)
