"""Tests of the status code → category mapping: defaults, overrides, CSV loading with all errors."""

from __future__ import annotations

import pytest

from jobtro.lib.status_codes import (
    CATEGORIES,
    DEFAULT_MAPPING,
    IN_JOB_OR_EDUCATION,
    MappingError,
    StatusMapping,
    load_mapping_csv,
)
from jobtro.stats.simulate import STATUSES


def test_defaults_are_valid_and_cover_the_simulator() -> None:
    assert set(DEFAULT_MAPPING.values()) <= set(CATEGORIES)
    mapping = StatusMapping()
    assert [mapping[s] for s in STATUSES] == ["benefit_cash", "job", "education"]
    assert mapping.unknown_codes(STATUSES) == []
    assert sorted(IN_JOB_OR_EDUCATION) == ["education", "job"]


def test_override_adds_and_replaces() -> None:
    mapping = StatusMapping({"benefit": "benefit_other", " 890 ": "Job"})
    assert mapping["benefit"] == "benefit_other"
    assert mapping["890"] == "job"  # code stripped, category lower-cased
    assert mapping["job"] == "job"  # defaults kept
    assert "890" in mapping and "891" not in mapping and 890 not in mapping
    assert len(mapping) == len(DEFAULT_MAPPING) + 1


def test_only_overrides_when_defaults_empty() -> None:
    mapping = StatusMapping({"1": "job"}, defaults={})
    assert mapping.as_dict() == {"1": "job"}


def test_category_outside_allowed_set_is_an_error_listing_all() -> None:
    with pytest.raises(MappingError) as info:
        StatusMapping({"1": "employment", "2": "job", "": "job", "3": "benefit"})
    problems = info.value.problems
    assert [(p.column, p.value) for p in problems] == [
        ("category", "employment"),
        ("code", ""),
        ("category", "benefit"),
    ]
    assert all(p.row is None for p in problems)


def test_unknown_codes_sorted_and_distinct() -> None:
    mapping = StatusMapping()
    assert mapping.unknown_codes(["job", "zz", "111", "zz", "benefit", "111"]) == ["111", "zz"]
    with pytest.raises(KeyError):
        mapping["zz"]


@pytest.mark.parametrize(
    "text",
    [
        "code;category\n111;benefit_cash\n890;job\n",
        "kode,kategori\r\n111,benefit_cash\r\n890,JOB\r\n",
        "111;benefit_cash\n\n890;job;\n",  # no header, blank line, trailing delimiter
        "111\tbenefit_cash\n890\tjob\n",
        '"111";"benefit_cash"\n890;job\n',
    ],
)
def test_load_mapping_csv_forms(text: str) -> None:
    assert load_mapping_csv(text) == {"111": "benefit_cash", "890": "job"}


def test_load_mapping_csv_collects_every_error() -> None:
    text = "code;category\n111;benefit_cash\n;job\n222;\n333;work\n111;job\n444;job;extra\n555;education\n"
    with pytest.raises(MappingError) as info:
        load_mapping_csv(text)
    got = [(p.row, p.column, p.value) for p in info.value.problems]
    assert got == [
        (3, "code", ""),
        (4, "category", ""),
        (5, "category", "work"),
        (6, "code", "111"),
        (7, "", "444;job;extra"),
    ]
    assert "code already given in row 2" in info.value.problems[3].why
    assert "row 5 category 'work'" in str(info.value)


def test_loaded_csv_feeds_the_mapping() -> None:
    mapping = StatusMapping(load_mapping_csv("code;category\nbenefit;benefit_education\n"))
    assert mapping["benefit"] == "benefit_education"


def test_empty_file_is_empty_mapping() -> None:
    assert load_mapping_csv("") == {}
