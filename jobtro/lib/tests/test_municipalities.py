"""Tests for jobtro.lib.municipalities against DOMAIN.md ("Municipalities")."""

from __future__ import annotations

import re

import pytest

from jobtro.lib.municipalities import MunicipalityRecord, all_municipalities, by_code, normalise_code


def test_there_are_98_municipalities() -> None:
    assert len(all_municipalities()) == 98


def test_codes_are_unique_and_four_digits() -> None:
    codes = [m.code for m in all_municipalities()]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[0-9]{4}", code) for code in codes)
    assert len(by_code()) == 98


def test_names_are_unique_and_non_empty() -> None:
    names = [m.name for m in all_municipalities()]
    assert all(name.strip() == name and name for name in names)
    assert len(set(names)) == len(names)


def test_five_regions() -> None:
    regions = {(m.region_code, m.region) for m in all_municipalities()}
    assert len(regions) == 5
    # One name per region code and one code per name.
    assert len({code for code, _ in regions}) == 5
    assert len({name for _, name in regions}) == 5
    assert {name for _, name in regions} == {
        "Region Hovedstaden",
        "Region Sjælland",
        "Region Syddanmark",
        "Region Midtjylland",
        "Region Nordjylland",
    }


def test_christianso_is_not_listed() -> None:
    assert "0411" not in by_code()
    assert not any("Christiansø" in m.name for m in all_municipalities())
    with pytest.raises(ValueError, match="411"):
        normalise_code("411")


def test_known_entries() -> None:
    assert by_code()["0101"] == MunicipalityRecord(
        code="0101", name="København", region_code="1084", region="Region Hovedstaden"
    )
    assert by_code()["0147"].name == "Frederiksberg"


@pytest.mark.parametrize("value", ["101", 101, "0101", " 101 ", "0101\n"])
def test_normalise_code(value: str | int) -> None:
    assert normalise_code(value) == "0101"


@pytest.mark.parametrize("value", ["9999", "0000", "0", "999", 411])
def test_unknown_code_raises_with_the_value(value: str | int) -> None:
    with pytest.raises(ValueError, match="unknown municipality code") as excinfo:
        normalise_code(value)
    assert repr(value) in str(excinfo.value)


@pytest.mark.parametrize("value", ["", "abc", "01010", "1-01", "-101", "10.1"])
def test_invalid_code_raises_with_the_value(value: str) -> None:
    with pytest.raises(ValueError, match="not a municipality code") as excinfo:
        normalise_code(value)
    assert repr(value) in str(excinfo.value)


@pytest.mark.parametrize("value", ["１０１", "١٠١", "²"])
def test_non_ascii_digits_are_refused(value: str) -> None:
    # str.isdigit() accepts these, so they get past the format check and fail as unknown codes;
    # either way they must never normalise to a real code.
    with pytest.raises(ValueError) as excinfo:
        normalise_code(value)
    assert repr(value) in str(excinfo.value)


def test_every_listed_code_normalises_to_itself() -> None:
    for municipality in all_municipalities():
        assert normalise_code(municipality.code) == municipality.code
        assert normalise_code(int(municipality.code)) == municipality.code
