"""Tests for jobtro.lib.cpr against the rules in DOMAIN.md ("Citizens' identity: CPR numbers")."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobtro.lib import cpr
from jobtro.lib.cpr import CPRError, build, century, modulus11_ok, parse

FIRST_DATE = date(1858, 1, 1)
LAST_DATE = date(2036, 12, 31)

# --- Independent oracle: DOMAIN.md's century table, transcribed as data (not as if/else). ---------
# Columns: YY 00-36, YY 37-57, YY 58-99. None = no valid number.
_COLUMNS = (range(0, 37), range(37, 58), range(58, 100))
_TABLE: dict[tuple[int, ...], tuple[int | None, int | None, int | None]] = {
    (0, 1, 2, 3): (1900, 1900, 1900),
    (4, 9): (2000, 1900, 1900),
    (5, 6, 7, 8): (2000, None, 1800),
}


def oracle_century(seventh: int, yy: int) -> int | None:
    (row,) = [cells for digits, cells in _TABLE.items() if seventh in digits]
    (column,) = [i for i, years in enumerate(_COLUMNS) if yy in years]
    return row[column]


# --- Example tests ---------------------------------------------------------------------------


def test_known_valid_number() -> None:
    # 0707614285: a modulus-11-valid number often used as a textbook example.
    result = parse("070761-4285")
    assert result.number == "0707614285"
    assert result.formatted == "070761-4285"
    assert result.birth_date == date(1961, 7, 7)
    assert not result.female
    assert result.sex == "M"
    assert result.modulus11_ok
    assert result.warnings == ()


def test_modulus11_failure_is_a_warning_not_a_rejection() -> None:
    # 0101901234: weighted sum 84, not divisible by 11, yet a valid number (issued after Oct 2007).
    assert not modulus11_ok("0101901234")
    result = parse("010190-1234")
    assert result.birth_date == date(1990, 1, 1)
    assert result.female
    assert result.modulus11_ok is False
    assert result.warnings == ("modulus11",)
    assert cpr.is_valid("0101901234")


def test_hyphen_is_optional() -> None:
    assert parse("0707614285") == parse("070761-4285")


@pytest.mark.parametrize("text", [" 070761-4285", "070761-4285 ", "\t0707614285\n", "  070761-4285\r\n"])
def test_surrounding_whitespace_is_trimmed(text: str) -> None:
    assert parse(text).number == "0707614285"


@pytest.mark.parametrize(
    ("last", "female", "sex"),
    [
        (0, True, "F"),
        (1, False, "M"),
        (2, True, "F"),
        (3, False, "M"),
        (4, True, "F"),
        (5, False, "M"),
        (6, True, "F"),
        (7, False, "M"),
        (8, True, "F"),
        (9, False, "M"),
    ],
)
def test_sex_from_last_digit(last: int, female: bool, sex: str) -> None:
    result = parse(f"010190-123{last}")
    assert result.female is female
    assert result.sex == sex


# Every cell of the century table, at both edges of each YY column.
@pytest.mark.parametrize(
    ("seventh", "yy", "year"),
    [
        # 0-3: always 1900s
        *[(d, yy, 1900 + yy) for d in (0, 1, 2, 3) for yy in (0, 36, 37, 57, 58, 99)],
        # 4 and 9: 2000s for 00-36, 1900s for 37-99
        *[(d, yy, 2000 + yy) for d in (4, 9) for yy in (0, 36)],
        *[(d, yy, 1900 + yy) for d in (4, 9) for yy in (37, 57, 58, 99)],
        # 5-8: 2000s for 00-36, 1800s for 58-99 (37-57 invalid, below)
        *[(d, yy, 2000 + yy) for d in (5, 6, 7, 8) for yy in (0, 36)],
        *[(d, yy, 1800 + yy) for d in (5, 6, 7, 8) for yy in (58, 99)],
    ],
)
def test_century_table_valid_cells(seventh: int, yy: int, year: int) -> None:
    assert century(seventh, yy) == year - yy
    number = f"1503{yy:02d}{seventh}123"
    assert parse(number).birth_date == date(year, 3, 15)


@pytest.mark.parametrize("seventh", [5, 6, 7, 8])
@pytest.mark.parametrize("yy", [37, 45, 57])
def test_century_table_invalid_cell(seventh: int, yy: int) -> None:
    assert century(seventh, yy) is None
    with pytest.raises(CPRError) as excinfo:
        parse(f"1503{yy:02d}-{seventh}123")
    assert excinfo.value.code == "century"


@pytest.mark.parametrize(("seventh", "yy"), [(-1, 0), (10, 0), (0, -1), (0, 100)])
def test_century_rejects_out_of_range_arguments(seventh: int, yy: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        century(seventh, yy)


@pytest.mark.parametrize(
    ("text", "born"),
    [
        ("290296-1234", date(1996, 2, 29)),  # 1996 leap year
        ("290200-4234", date(2000, 2, 29)),  # 2000: divisible by 400, leap
        ("290260-5234", date(1860, 2, 29)),  # 1860 leap year
        ("290204-0234", date(1904, 2, 29)),  # 1904 leap year
    ],
)
def test_29_february_in_leap_years(text: str, born: date) -> None:
    assert parse(text).birth_date == born


@pytest.mark.parametrize(
    "text",
    [
        "290297-1234",  # 1997 not a leap year
        "290200-0234",  # 1900: divisible by 100 but not 400, not a leap year
        "290259-5234",  # 1859 not a leap year
        "290201-4234",  # 2001 not a leap year
    ],
)
def test_29_february_in_non_leap_years_is_a_date_error(text: str) -> None:
    with pytest.raises(CPRError) as excinfo:
        parse(text)
    assert excinfo.value.code == "date"


@pytest.mark.parametrize(
    "text",
    ["000190-1234", "320190-1234", "310490-1234", "010090-1234", "011390-1234", "300290-1234"],
)
def test_impossible_date_is_a_date_error(text: str) -> None:
    with pytest.raises(CPRError) as excinfo:
        parse(text)
    assert excinfo.value.code == "date"
    assert excinfo.value.reason


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "070761",
        "070761-428",
        "070761-42851",
        "07076142851",
        "070761--4285",
        "0707-614285",
        "070761 4285",
        "070761/4285",
        "O70761-4285",  # letter O
        "０７０７６１４２８５",  # full-width digits
        "٠٧٠٧٦١٤٢٨٥",  # Arabic-Indic digits
        "-0707614285",
        "0707614285-",
    ],
)
def test_bad_format_is_a_format_error(text: str) -> None:
    with pytest.raises(CPRError) as excinfo:
        parse(text)
    assert excinfo.value.code == "format"


def test_non_string_is_a_format_error() -> None:
    with pytest.raises(CPRError) as excinfo:
        parse(707614285)  # type: ignore[arg-type]
    assert excinfo.value.code == "format"


def test_cpr_error_is_a_value_error_and_keeps_the_number_out_of_its_message() -> None:
    with pytest.raises(ValueError) as excinfo:
        parse("320190-1234")
    assert isinstance(excinfo.value, CPRError)
    assert excinfo.value.value == "320190-1234"
    # Messages reach logs; a rejected value is often a real number with a typo.
    assert "320190" not in str(excinfo.value)


def test_repr_does_not_reveal_the_number() -> None:
    assert "4285" not in repr(parse("070761-4285"))


def test_is_valid() -> None:
    assert cpr.is_valid("070761-4285")
    assert not cpr.is_valid("320190-1234")
    assert not cpr.is_valid("nonsense")


@pytest.mark.parametrize(
    ("year", "digits"),
    [
        (1857, ()),
        (1858, (5, 6, 7, 8)),
        (1899, (5, 6, 7, 8)),
        (1900, (0, 1, 2, 3)),
        (1936, (0, 1, 2, 3)),
        (1937, (0, 1, 2, 3, 4, 9)),
        (1999, (0, 1, 2, 3, 4, 9)),
        (2000, (4, 5, 6, 7, 8, 9)),
        (2036, (4, 5, 6, 7, 8, 9)),
        (2037, ()),
    ],
)
def test_seventh_digits_for(year: int, digits: tuple[int, ...]) -> None:
    assert cpr.seventh_digits_for(year) == digits


@pytest.mark.parametrize("born", [date(1857, 12, 31), date(2037, 1, 1)])
def test_build_rejects_dates_outside_the_table(born: date) -> None:
    with pytest.raises(ValueError, match=str(born.year)):
        build(born, female=True, serial=0)


def test_build_is_deterministic_and_serial_varies_the_number() -> None:
    born = date(1975, 5, 17)
    assert build(born, True, 7) == build(born, True, 7)
    assert len({build(born, True, serial) for serial in range(50)}) > 1


# --- Property tests --------------------------------------------------------------------------

dates = st.dates(min_value=FIRST_DATE, max_value=LAST_DATE)


@given(born=dates, female=st.booleans(), serial=st.integers(-(10**6), 10**6), mod11=st.booleans())
def test_build_then_parse_round_trips(born: date, female: bool, serial: int, mod11: bool) -> None:
    number = build(born, female, serial, modulus11=mod11)
    assert len(number) == 10
    assert number.isascii()
    assert number.isdigit()
    result = parse(number)
    assert result.number == number
    assert result.birth_date == born
    assert result.female is female
    assert result.modulus11_ok is mod11
    assert result.warnings == (() if mod11 else ("modulus11",))


@given(st.text())
def test_parse_raises_only_cpr_error_on_arbitrary_text(text: str) -> None:
    try:
        result = parse(text)
    except CPRError as exc:
        assert exc.code in {"format", "date", "century"}
    else:
        assert len(result.number) == 10


# Near-misses reach the century and date checks, which arbitrary text almost never does.
cpr_shaped = st.from_regex(r"\s*[0-9]{6}-?[0-9]{4}\s*", fullmatch=True)


@given(cpr_shaped)
def test_parse_raises_only_cpr_error_on_cpr_shaped_text(text: str) -> None:
    try:
        result = parse(text)
    except CPRError as exc:
        assert exc.code in {"date", "century"}
    else:
        assert result.number == text.strip().replace("-", "")


@given(seventh=st.integers(0, 9), yy=st.integers(0, 99))
def test_century_agrees_with_table_oracle(seventh: int, yy: int) -> None:
    assert century(seventh, yy) == oracle_century(seventh, yy)


@given(day=st.integers(1, 28), month=st.integers(1, 12), yy=st.integers(0, 99), seventh=st.integers(0, 9))
def test_parse_applies_the_oracle_century(day: int, month: int, yy: int, seventh: int) -> None:
    number = f"{day:02d}{month:02d}{yy:02d}{seventh}000"
    expected = oracle_century(seventh, yy)
    if expected is None:
        with pytest.raises(CPRError) as excinfo:
            parse(number)
        assert excinfo.value.code == "century"
    else:
        assert parse(number).birth_date == date(expected + yy, month, day)


@given(st.from_regex(r"[0-9]{10}", fullmatch=True))
def test_formatted_and_bare_digits_parse_identically(digits: str) -> None:
    formatted = f"{digits[:6]}-{digits[6:]}"

    def outcome(text: str) -> object:
        try:
            return parse(text)
        except CPRError as exc:
            return ("error", exc.code)

    assert outcome(digits) == outcome(formatted)


@given(st.from_regex(r"[0-9]{10}", fullmatch=True))
def test_modulus11_matches_the_weighted_sum(digits: str) -> None:
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    assert modulus11_ok(digits) == (sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0)
