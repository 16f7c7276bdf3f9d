"""Tests for jobtro.lib.outcome_files: weekly status and event files as registers deliver them, every
problem with its row, column, value and code, pseudonymisation, the compact panel and merging.

Rows are spreadsheet rows: the heading is row 1, the first data row row 2 (Parquet: row 1 is the first
record). Expected panels are written as ``(cpr, iso_year, iso_week, code)`` and compared as
``(pseudonym, week index, code)`` rows.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import io
import zipfile
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobtro.lib.outcome_files import (
    EVENT_SCHEMA,
    PROBLEM_CODES,
    WEEK_EPOCH,
    EventCounts,
    MergeCounts,
    Panel,
    Problem,
    Problems,
    StatusExtract,
    events_outside,
    iso_week_index,
    merge_events,
    merge_status,
    read_events,
    read_status,
    week_index,
    week_label,
    week_start,
)
from jobtro.lib.pseudonym import PSEUDONYM_ALPHABET, PSEUDONYM_LENGTH
from jobtro.lib.status_codes import StatusMapping
from jobtro.lib.tests.test_tabular import csv_bytes, xlsx_bytes

MAPPING = StatusMapping()
# Valid CPR numbers (the dates exist, the 7th digits fit the centuries).
ANNA, BO, CARL, DORTE = "0211900059", "3006780058", "0302880069", "1203850006"
W07 = iso_week_index(2025, 7)  # the week of 12 February 2025
PA, PB, PC = "a" * PSEUDONYM_LENGTH, "b" * PSEUDONYM_LENGTH, "c" * PSEUDONYM_LENGTH  # pseudonyms, sorted

Row = tuple[int | None, str, str, str]  # (row, column, value, code) of a problem


def pseudonym_of(number: str) -> str:
    """A stand-in for the keyed pseudonym: 24 characters of jobtro's alphabet, one per number."""
    return base64.b32encode(hashlib.sha256(number.encode()).digest()).decode().lower()[:PSEUDONYM_LENGTH]


class Spy:
    """``pseudonymise`` that records every call."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, number: str) -> str:
        self.calls.append(number)
        return pseudonym_of(number)


def read(data: bytes, mapping: StatusMapping = MAPPING) -> StatusExtract:
    return read_status(data, mapping, pseudonym_of)


def problems(data: bytes, mapping: StatusMapping = MAPPING) -> list[Row]:
    with pytest.raises(Problems) as caught:
        read_status(data, mapping, pseudonym_of)
    return [(p.row, p.column, p.value, p.code) for p in caught.value.all()]


def event_problems(data: bytes) -> list[Row]:
    with pytest.raises(Problems) as caught:
        read_events(data, pseudonym_of)
    return [(p.row, p.column, p.value, p.code) for p in caught.value.all()]


def status_csv(rows: list[list[str]], **kwargs: str) -> bytes:
    return csv_bytes(rows, **kwargs)


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.write_parquet(out)
    return out.getvalue()


def panel_rows(extract: StatusExtract | Panel) -> list[tuple[str, int, str]]:
    panel = extract.panel if isinstance(extract, StatusExtract) else extract
    return [(p, w, c) for p, w, c in panel.with_persons().iter_rows()]


def expected(*records: tuple[str, int, int, str]) -> list[tuple[str, int, str]]:
    """(cpr, iso year, iso week, code) -> the panel's rows, in its order (pseudonym, week)."""
    return sorted((pseudonym_of(cpr), iso_week_index(year, week), code) for cpr, year, week, code in records)


# --- weeks -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "index"),
    [
        (date(1970, 1, 5), 0),  # the epoch: a Monday
        (date(1970, 1, 11), 0),  # its Sunday
        (date(1970, 1, 12), 1),
        (date(1970, 1, 4), -1),  # the Sunday before: week -1
        (date(1969, 12, 29), -1),
        (date(1969, 12, 28), -2),
        (date(2025, 2, 10), 2875),
        (date(2025, 2, 12), 2875),
        (date(2025, 2, 16), 2875),
    ],
)
def test_week_index_counts_weeks_since_monday_5_january_1970(day: date, index: int) -> None:
    assert week_index(day) == index


def test_week_start_and_label_are_the_iso_monday_and_label() -> None:
    assert week_start(0) == WEEK_EPOCH == date(1970, 1, 5)
    assert week_label(0) == "1970-W02"  # 1 January 1970 was a Thursday: W01 began 29 December 1969
    assert week_label(-1) == "1970-W01"
    assert week_label(-2) == "1969-W52"
    assert week_start(2875) == date(2025, 2, 10)
    assert week_label(2875) == "2025-W07"
    assert iso_week_index(2025, 7) == 2875
    assert iso_week_index(1970, 2) == 0
    assert iso_week_index(1970, 1) == -1


@pytest.mark.parametrize("year", [2015, 2020, 2026, 2032])
def test_weeks_are_consecutive_across_a_53_week_year(year: int) -> None:
    w52, w53, next_w01 = iso_week_index(year, 52), iso_week_index(year, 53), iso_week_index(year + 1, 1)
    assert (w53 - w52, next_w01 - w53) == (1, 1)
    assert [week_label(i) for i in (w52, w53, next_w01)] == [f"{year}-W52", f"{year}-W53", f"{year + 1}-W01"]


def test_weeks_are_consecutive_across_a_52_week_year() -> None:
    assert iso_week_index(2026, 1) - iso_week_index(2025, 52) == 1
    assert week_label(iso_week_index(2025, 52) + 1) == "2026-W01"


@pytest.mark.parametrize(("year", "week"), [(2025, 53), (2024, 53), (2026, 54), (2025, 0), (2025, -1)])
def test_a_week_the_iso_year_does_not_have_is_refused(year: int, week: int) -> None:
    with pytest.raises(ValueError):
        iso_week_index(year, week)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_every_day_lies_in_the_week_of_its_index(day: date) -> None:
    index = week_index(day)
    year, week, weekday = day.isocalendar()
    assert week_start(index) == day - timedelta(days=weekday - 1)
    assert week_label(index) == f"{year}-W{week:02d}"
    assert iso_week_index(year, week) == index
    assert week_index(day + timedelta(days=7)) == index + 1


# --- status files: problems of the whole file ------------------------------------------------------

FILE_LEVEL = {"unreadable", "empty", "missing_column", "person_columns", "repeated_column", "week_columns"}


def test_every_problem_code_has_a_wording() -> None:
    assert set(PROBLEM_CODES) >= FILE_LEVEL | {"blank", "cpr", "pseudonym", "week", "year", "week_number"}
    assert Problem(2, "cpr", "x", "cpr").why == PROBLEM_CODES["cpr"]
    assert all(text.strip() for text in PROBLEM_CODES.values())


def _damaged_xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"cpr\x81\x8d\x8f;uge;status\n0211900059;2025-W07;job\n", id="neither-utf8-nor-cp1252"),
        pytest.param(b"PAR1 this is no parquet file", id="damaged-parquet"),
        pytest.param(_damaged_xlsx(), id="damaged-xlsx"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, id="old-xls"),
        pytest.param(codecs.BOM_UTF16_LE + b"c\x00p\x00r", id="truncated-utf16"),
        pytest.param(codecs.BOM_UTF16_LE + b"\x00\xd8c\x00", id="lone-surrogate-utf16"),
        pytest.param(
            parquet_bytes(pl.DataFrame({"cpr": [ANNA], "uge": ["2025-W07"], "status": ["job"], "x": [[1, 2]]})),
            id="parquet-list-column",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_unreadable(data: bytes) -> None:
    assert problems(data) == [(None, "", "", "unreadable")]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="no-bytes"),
        pytest.param(b" \r\n\r\n", id="whitespace"),
        pytest.param(b"cpr;uge;status\r\n", id="heading-only"),
        pytest.param(b"cpr;uge;status\r\n\r\n;;\r\n  ;\r\n", id="heading-and-blank-lines"),
        pytest.param(b"sep=;\r\ncpr;uge;status\r\n", id="sep-line-and-heading"),
        pytest.param(
            parquet_bytes(pl.DataFrame(schema={"cpr": pl.String, "uge": pl.String, "status": pl.String})),
            id="parquet-no-records",
        ),
        pytest.param(parquet_bytes(pl.DataFrame()), id="parquet-no-columns"),
        pytest.param(xlsx_bytes([["cpr", "uge", "status"]]), id="xlsx-heading-only"),
        pytest.param(xlsx_bytes([]), id="xlsx-no-cells"),
    ],
)
def test_a_file_without_rows_is_empty(data: bytes) -> None:
    assert problems(data) == [(None, "", "", "empty")]


@pytest.mark.parametrize(
    ("heading", "found"),
    [
        ("cpr;uge", [(None, "status", "", "missing_column")]),
        ("uge;status", [(None, "cpr / pseudonym", "", "missing_column")]),
        ("navn;uge", [(None, "cpr / pseudonym", "", "missing_column"), (None, "status", "", "missing_column")]),
        ("cpr;status", [(None, "year_week", "", "missing_column")]),  # no week at all
        ("cpr;aar;status", [(None, "week", "", "missing_column")]),  # a year without its week
    ],
)
def test_a_missing_column_is_named(heading: str, found: list[Row]) -> None:
    data = f"{heading};note\r\n0211900059;2025-W07;x\r\n".encode()
    assert problems(data) == found


def test_a_cpr_and_a_pseudonym_column_together_are_refused() -> None:
    data = f"CPR;Pseudonym;uge;status\r\n{ANNA};{PA};2025-W07;job\r\n".encode()
    assert problems(data) == [(None, "CPR", "Pseudonym", "person_columns")]


@pytest.mark.parametrize(
    ("heading", "found"),
    [
        ("cpr;uge;status;Kode", [(None, "Kode", "status", "repeated_column")]),
        ("cpr;uge;Status;STATUS", [(None, "STATUS", "Status", "repeated_column")]),
        # Written identically: a CSV reader must not rename the second one ("status_duplicated_0").
        ("cpr;uge;status;status", [(None, "status", "status", "repeated_column")]),
        ("cpr;CPR-nr.;uge;status", [(None, "CPR-nr.", "cpr", "repeated_column")]),
    ],
)
def test_a_repeated_column_is_refused(heading: str, found: list[Row]) -> None:
    data = f"{heading}\r\n{ANNA};x;2025-W07;job\r\n".encode()
    assert problems(data) == found


@pytest.mark.parametrize(
    ("heading", "found"),
    [
        ("cpr;aar_uge;aar;uge;status", [(None, "aar_uge", "aar", "week_columns")]),
        ("cpr;year_week;week;status", [(None, "year_week", "week", "week_columns")]),
        ("cpr;Uge_aar;Aar;status", [(None, "Uge_aar", "Aar", "week_columns")]),
    ],
)
def test_a_week_in_one_and_in_two_columns_together_is_refused(heading: str, found: list[Row]) -> None:
    width = heading.count(";") + 1
    data = (heading + "\r\n" + ";".join(["x"] * width) + "\r\n").encode()
    assert problems(data) == found


# --- status files: problems of values --------------------------------------------------------------


def test_blank_values_are_reported_with_their_rows() -> None:
    data = status_csv(
        [
            ["CPR", "Uge", "Status"],
            ["", "2025-W07", "job"],
            [ANNA, " ", "job"],
            [BO, "2025-W07", ""],
            [CARL, "2025-W07", "job"],
        ]
    )
    assert problems(data) == [(2, "CPR", "", "blank"), (3, "Uge", " ", "blank"), (4, "Status", "", "blank")]


def test_blank_year_and_week_are_reported_in_the_two_column_form() -> None:
    data = status_csv([["cpr", "aar", "uge", "status"], [ANNA, "", "7", "job"], [BO, "2025", "", "job"]])
    assert problems(data) == [(2, "aar", "", "blank"), (3, "uge", "", "blank")]


def test_an_invalid_cpr_number_is_reported() -> None:
    data = status_csv(
        [
            ["cpr", "uge", "status"],
            [ANNA, "2025-W07", "job"],
            ["3201900059", "2025-W07", "job"],  # day 32
            ["12345", "2025-W07", "job"],
            ["3201900059", "2025-W08", "job"],
        ]
    )
    assert problems(data) == [
        (3, "cpr", "3201900059", "cpr"),
        (4, "cpr", "12345", "cpr"),
        (5, "cpr", "3201900059", "cpr"),
    ]


def test_an_invalid_cpr_number_is_never_pseudonymised() -> None:
    spy = Spy()
    with pytest.raises(Problems):
        read_status(status_csv([["cpr", "uge", "status"], ["3201900059", "2025-W07", "job"]]), MAPPING, spy)
    assert spy.calls == []


def test_a_value_that_is_not_a_pseudonym_is_reported() -> None:
    data = status_csv(
        [
            ["pseudonym", "uge", "status"],
            [PA, "2025-W07", "job"],
            ["abc", "2025-W07", "job"],
            ["a" * (PSEUDONYM_LENGTH - 1) + "1", "2025-W07", "job"],  # 1 is not in the alphabet
            ["a" * (PSEUDONYM_LENGTH + 1), "2025-W07", "job"],
            [ANNA, "2025-W07", "job"],  # a CPR number in a pseudonym column
        ]
    )
    assert problems(data) == [
        (3, "pseudonym", "abc", "pseudonym"),
        (4, "pseudonym", "a" * (PSEUDONYM_LENGTH - 1) + "1", "pseudonym"),
        (5, "pseudonym", "a" * (PSEUDONYM_LENGTH + 1), "pseudonym"),
        (6, "pseudonym", ANNA, "pseudonym"),
    ]


def test_a_value_that_is_not_a_week_is_reported() -> None:
    data = status_csv(
        [
            ["cpr", "Uge", "status"],
            [ANNA, "uge 7", "job"],
            [BO, "32-02-2025", "job"],
            [CARL, "2025-X7", "job"],
            [DORTE, "7", "job"],
        ]
    )
    assert problems(data) == [
        (2, "Uge", "uge 7", "week"),
        (3, "Uge", "32-02-2025", "week"),
        (4, "Uge", "2025-X7", "week"),
        (5, "Uge", "7", "week"),
    ]


def test_a_value_that_is_not_a_year_is_reported_in_the_two_column_form() -> None:
    data = status_csv(
        [["cpr", "aar", "uge", "status"], [ANNA, "25", "7", "job"], [BO, "to", "7", "job"], [CARL, "2025", "7", "job"]]
    )
    assert problems(data) == [(2, "aar", "25", "year"), (3, "aar", "to", "year")]


def test_a_week_number_the_year_does_not_have_is_reported_in_the_one_column_form() -> None:
    data = status_csv(
        [
            ["cpr", "uge", "status"],
            [ANNA, "2025-W54", "job"],
            [BO, "2025-W53", "job"],  # 2025 has 52 weeks
            [CARL, "2026-W53", "job"],  # 2026 has 53
            [DORTE, "2025-W00", "job"],
        ]
    )
    assert problems(data) == [
        (2, "uge", "2025-W54", "week_number"),
        (3, "uge", "2025-W53", "week_number"),
        (5, "uge", "2025-W00", "week_number"),
    ]


def test_a_week_number_the_year_does_not_have_is_reported_in_the_two_column_form() -> None:
    data = status_csv(
        [
            ["cpr", "iso_year", "iso_week", "status"],
            [ANNA, "2025", "53", "job"],  # 52 weeks
            [BO, "2026", "53", "job"],  # 53 weeks: fine
            [CARL, "2026", "54", "job"],
            [DORTE, "2025", "x", "job"],
            [ANNA, "2025", "0", "job"],
        ]
    )
    assert problems(data) == [
        (2, "iso_week", "53", "week_number"),
        (4, "iso_week", "54", "week_number"),
        (5, "iso_week", "x", "week_number"),
        (6, "iso_week", "0", "week_number"),
    ]


def test_unknown_codes_are_reported_once_per_code_with_count_and_first_row() -> None:
    data = status_csv(
        [
            ["cpr", "uge", "Kode"],
            [ANNA, "2025-W07", "job"],
            [ANNA, "2025-W08", "xx"],
            [ANNA, "2025-W09", "yy"],
            [BO, "2025-W07", "xx"],
            [BO, "2025-W08", "benefit"],
            [CARL, "2025-W07", "xx"],
        ]
    )
    with pytest.raises(Problems) as caught:
        read(data)
    assert caught.value.all() == [
        Problem(3, "Kode", "xx", "unknown_code", 3),
        Problem(4, "Kode", "yy", "unknown_code", 1),
    ]
    assert caught.value.unknown_codes == ["xx", "yy"]
    assert len(caught.value) == 2


def test_codes_are_case_sensitive_and_only_the_mappings_own_are_known() -> None:
    mapping = StatusMapping({"A1": "job"}, defaults={})
    data = status_csv([["cpr", "uge", "status"], [ANNA, "2025-W07", "A1"], [ANNA, "2025-W08", "a1"]])
    assert problems(data, mapping) == [(3, "status", "a1", "unknown_code")]
    assert problems(status_csv([["cpr", "uge", "status"], [ANNA, "2025-W07", "job"]]), mapping) == [
        (2, "status", "job", "unknown_code")
    ]


def test_a_repeated_person_week_is_reported_on_the_later_row() -> None:
    data = status_csv(
        [
            ["cpr", "uge", "status"],
            [ANNA, "2025-W07", "job"],
            [BO, "2025-W07", "job"],
            [ANNA, "2025-W08", "job"],
            [ANNA, "2025-W07", "benefit"],  # a second status for Anna's week 7
            [ANNA, "2025-07", "job"],  # the same week written otherwise: a third
        ]
    )
    assert problems(data) == [(5, "cpr", ANNA, "duplicate"), (6, "cpr", ANNA, "duplicate")]


def test_a_repeated_person_week_is_found_whatever_the_spelling_of_the_cpr_number() -> None:
    data = status_csv(
        [
            ["cpr", "uge", "status"],
            ["021190-0059", "2025-W07", "job"],
            [BO, "2025-W07", "job"],
            [ANNA, "2025-W07", "job"],
            [f" {ANNA} ", "12-02-2025", "job"],
        ]
    )
    assert problems(data) == [(4, "cpr", ANNA, "duplicate"), (5, "cpr", f" {ANNA} ", "duplicate")]


def test_a_repeated_person_week_is_found_whatever_the_case_of_the_pseudonym() -> None:
    data = status_csv([["pseudonym", "uge", "status"], [PA.upper(), "2025-W07", "job"], [PA, "2025W07", "job"]])
    assert problems(data) == [(3, "pseudonym", PA, "duplicate")]


def test_a_repeated_person_week_is_found_in_the_two_column_form() -> None:
    data = status_csv([["cpr", "aar", "uge", "status"], [ANNA, "2025", "7", "job"], [ANNA, "2025", "07", "job"]])
    assert problems(data) == [(3, "cpr", ANNA, "duplicate")]


def test_every_problem_of_a_file_comes_at_once_sorted_by_row() -> None:
    data = status_csv(
        [
            ["cpr", "uge", "status"],
            [ANNA, "2025-W07", "job"],
            [ANNA, "2025-W07", "job"],  # 3: duplicate
            ["3201900059", "2025-W07", "job"],  # 4: cpr
            [BO, "2025-W99", "zz"],  # 5: week_number and unknown_code
            [CARL, "", "job"],  # 6: blank
            [DORTE, "2025-W07", "job"],
            [BO, "2025-W07", "zz"],  # 8: zz again, counted with row 5
        ]
    )
    with pytest.raises(Problems) as caught:
        read(data)
    assert caught.value.all() == [
        Problem(3, "cpr", ANNA, "duplicate"),
        Problem(4, "cpr", "3201900059", "cpr"),
        Problem(5, "status", "zz", "unknown_code", 2),
        Problem(5, "uge", "2025-W99", "week_number"),
        Problem(6, "uge", "", "blank"),
    ]
    assert caught.value.head(2) == caught.value.all()[:2]
    assert str(caught.value) == "5 problem(s) in the file"


def test_a_row_with_a_bad_value_is_never_a_duplicate() -> None:
    # Both rows have an unreadable week: they do not share a person-week.
    data = status_csv([["cpr", "uge", "status"], [ANNA, "x", "job"], [ANNA, "x", "job"]])
    assert problems(data) == [(2, "uge", "x", "week"), (3, "uge", "x", "week")]


# --- status files: row numbers ---------------------------------------------------------------------


def test_an_excel_sep_line_is_not_a_row_as_excel_hides_it() -> None:
    data = b"sep=;\r\ncpr;uge;status\r\n3201900059;2025-W07;job\r\n"
    assert problems(data) == [(2, "cpr", "3201900059", "cpr")]
    assert problems(codecs.BOM_UTF8 + data) == [(2, "cpr", "3201900059", "cpr")]


def test_blank_lines_keep_their_row_numbers() -> None:
    data = b"cpr;uge;status\r\n\r\n0211900059;2025-W07;job\r\n;;\r\n\r\n3201900059;2025-W07;job\r\n\r\n"
    assert problems(data) == [(6, "cpr", "3201900059", "cpr")]
    assert read(data.replace(b"3201900059", BO.encode())).rows == 2


def test_a_quoted_line_break_keeps_the_record_on_one_row() -> None:
    data = b'cpr;uge;status\r\n0211900059;2025-W07;"jo\r\nb"\r\n3201900059;2025-W07;job\r\n'
    assert problems(data) == [(2, "status", "jo\r\nb", "unknown_code"), (3, "cpr", "3201900059", "cpr")]


def test_parquet_rows_count_from_the_first_record() -> None:
    data = parquet_bytes(pl.DataFrame({"cpr": [ANNA, "3201900059"], "uge": ["2025-W07"] * 2, "status": ["job"] * 2}))
    assert problems(data) == [(2, "cpr", "3201900059", "cpr")]


def test_xlsx_rows_are_the_sheets_rows() -> None:
    data = xlsx_bytes([["cpr", "uge", "status"], [ANNA, "2025-W07", "job"], [], ["3201900059", "2025-W07", "job"]])
    assert problems(data) == [(4, "cpr", "3201900059", "cpr")]


# --- status files: formats -------------------------------------------------------------------------

STATUS_ROWS = [["CPR-nummer", "Uge", "Status"], [ANNA, "2025-W07", "job"], [BO, "2025-W08", "benefit"]]
STATUS_EXPECTED = expected((ANNA, 2025, 7, "job"), (BO, 2025, 8, "benefit"))


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_it_reads_csv_with_any_delimiter_line_ending_and_encoding(delimiter: str, newline: str, encoding: str) -> None:
    data = csv_bytes(STATUS_ROWS, delimiter=delimiter, newline=newline, encoding=encoding)
    assert data.startswith(codecs.BOM_UTF8) == (encoding == "utf-8-sig")
    assert data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) == (encoding == "utf-16")
    extract = read(data)
    assert (extract.format, extract.rows, extract.identified_by) == ("csv", 2, "cpr")
    assert panel_rows(extract) == STATUS_EXPECTED


def test_a_byte_order_mark_is_not_part_of_the_first_heading() -> None:
    data = codecs.BOM_UTF8 + f"CPR;cpr;uge;status\r\n{ANNA};{ANNA};2025-W07;job\r\n".encode()
    assert problems(data) == [(None, "cpr", "CPR", "repeated_column")]


def test_it_reads_windows_1252_with_danish_letters_in_headings_and_values() -> None:
    mapping = StatusMapping({"kontanthjælp": "benefit_cash", "selvforsørgelse": "job"})
    rows = [
        ["CPR-nr", "År", "Ugenr", "Ydelse"],
        [ANNA, "2025", "7", "kontanthjælp"],
        [BO, "2025", "8", "selvforsørgelse"],
    ]
    data = csv_bytes(rows, encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    extract = read(data, mapping)
    assert panel_rows(extract) == expected((ANNA, 2025, 7, "kontanthjælp"), (BO, 2025, 8, "selvforsørgelse"))
    assert extract.panel.codes == ("kontanthjælp", "selvforsørgelse")


def test_a_windows_1252_heading_alone_is_read_as_windows_1252() -> None:
    # Only the heading has a byte that is not UTF-8: "År" must still be the year column, not "\ufffdr".
    data = csv_bytes([["cpr", "År", "Uge", "status"], [ANNA, "2025", "7", "job"]], encoding="cp1252")
    assert panel_rows(read(data)) == expected((ANNA, 2025, 7, "job"))
    assert problems(data.replace(b"2025", b"25")) == [(2, "År", "25", "year")]


def test_a_windows_1252_value_is_reported_as_written() -> None:
    data = csv_bytes([["cpr", "uge", "status"], [ANNA, "2025-W07", "jøb"]], encoding="cp1252")
    assert problems(data) == [(2, "status", "jøb", "unknown_code")]


def test_it_honours_excels_sep_line() -> None:
    body = csv_bytes(STATUS_ROWS, delimiter=",")
    for data in (b"sep=,\r\n" + body, b"SEP=,\n" + body, codecs.BOM_UTF8 + b"sep=,\r\n" + body):
        assert panel_rows(read(data)) == STATUS_EXPECTED
    # The sep line wins over sniffing: the heading splits into more fields at ";" than at "|".
    data = b"sep=|\r\ncpr|uge|status|note;a;b;c\r\n" + f"{ANNA}|2025-W07|job|x;y\r\n".encode()
    assert panel_rows(read(data)) == expected((ANNA, 2025, 7, "job"))


def test_it_reads_quoted_fields() -> None:
    mapping = StatusMapping({"job; fuld tid": "job", 'job "deltid"': "job"}, defaults={})
    data = (
        b'"cpr";"uge";"status"\r\n'
        b'"0211900059";"2025-W07";"job; fuld tid"\r\n'
        b'"3006780058";"2025-W07";"job ""deltid"""\r\n'
    )
    assert panel_rows(read(data, mapping)) == expected((ANNA, 2025, 7, "job; fuld tid"), (BO, 2025, 7, 'job "deltid"'))


def test_it_reads_parquet_with_string_columns() -> None:
    data = parquet_bytes(
        pl.DataFrame({"cpr": [ANNA, BO], "year_week": ["2025-W07", "2025-W08"], "status": ["job", "benefit"]})
    )
    extract = read(data)
    assert (extract.format, extract.rows) == ("parquet", 2)
    assert panel_rows(extract) == STATUS_EXPECTED


def test_it_reads_parquet_with_integer_year_and_week_columns() -> None:
    frame = pl.DataFrame(
        {"cpr": [ANNA, BO], "iso_year": [2025, 2025], "iso_week": [7, 8], "status": ["job", "benefit"]},
        schema={"cpr": pl.String, "iso_year": pl.Int16, "iso_week": pl.Int8, "status": pl.String},
    )
    assert panel_rows(read(parquet_bytes(frame))) == STATUS_EXPECTED


def test_it_reads_parquet_with_a_date_as_the_week() -> None:
    frame = pl.DataFrame(
        {"cpr": [ANNA, BO], "week": [date(2025, 2, 16), date(2025, 2, 17)], "status": ["job", "benefit"]}
    )
    assert frame.schema["week"] == pl.Date
    assert panel_rows(read(parquet_bytes(frame))) == STATUS_EXPECTED
    timestamps = frame.with_columns(pl.col("week").cast(pl.Datetime) + pl.duration(hours=8))
    assert panel_rows(read(parquet_bytes(timestamps))) == STATUS_EXPECTED


def test_parquet_nulls_are_blank() -> None:
    frame = pl.DataFrame(
        {"cpr": [ANNA, None], "iso_year": [2025, 2025], "iso_week": [None, 8], "status": ["job", "job"]}
    )
    assert problems(parquet_bytes(frame)) == [(1, "iso_week", "", "blank"), (2, "cpr", "", "blank")]


def test_it_reads_xlsx_with_week_labels_and_gives_a_numeric_cpr_its_leading_zero_back() -> None:
    data = xlsx_bytes(
        [
            ["CPR", "Uge", "Status"],
            [211900059, "2025-W07", "job"],  # ANNA typed as a number: Excel dropped the leading 0
            [int(BO), "2025-W08", "benefit"],
            ["0211900059", "2025-W08", "benefit"],
        ]
    )
    extract = read(data)
    assert (extract.format, extract.rows) == ("xlsx", 3)
    assert panel_rows(extract) == expected((ANNA, 2025, 7, "job"), (ANNA, 2025, 8, "benefit"), (BO, 2025, 8, "benefit"))


def test_it_reads_xlsx_with_numbers_and_dates_for_the_week() -> None:
    two = xlsx_bytes([["cpr", "aar", "uge", "status"], [ANNA, 2025, 7, "job"], [BO, 2025.0, 8.0, "benefit"]])
    assert panel_rows(read(two)) == STATUS_EXPECTED
    dated = xlsx_bytes(
        [["cpr", "dato", "status"], [ANNA, date(2025, 2, 12), "job"], [BO, datetime(2025, 2, 17), "benefit"]]
    )
    # "dato" names no week column: only year/week headings do.
    assert problems(dated) == [(None, "year_week", "", "missing_column")]
    dated = xlsx_bytes(
        [["cpr", "uge", "status"], [ANNA, date(2025, 2, 12), "job"], [BO, datetime(2025, 2, 17), "benefit"]]
    )
    assert panel_rows(read(dated)) == STATUS_EXPECTED


@pytest.mark.parametrize(
    "written",
    [
        "2025-W07",
        "2025W07",
        "2025-w07",
        "2025-07",
        "2025/07",
        "202507",
        "2025 W7",
        "2025-W7",
        " 2025-W07 ",
        "12-02-2025",  # a date in the week (Wednesday)
        "2025-02-12",
        "12.02.2025",
        "10-02-2025",  # its Monday
        "16-02-2025",  # its Sunday
    ],
)
def test_every_form_of_a_week_is_read(written: str) -> None:
    data = status_csv([["cpr", "aar_uge", "status"], [ANNA, written, "job"]])
    assert panel_rows(read(data)) == [(pseudonym_of(ANNA), W07, "job")]


@pytest.mark.parametrize(
    ("year", "week"),
    [("aar", "uge"), ("iso_year", "iso_week"), ("År", "Ugenr"), ("Year", "Week"), ("ISO-år", "ugenummer")],
)
def test_the_week_is_read_from_year_and_week_columns(year: str, week: str) -> None:
    data = status_csv([["cpr", year, week, "status"], [ANNA, "2025", "7", "job"], [BO, " 2025 ", "08", "benefit"]])
    assert panel_rows(read(data)) == STATUS_EXPECTED


def test_a_lone_week_column_holds_the_whole_iso_week() -> None:
    data = status_csv([["cpr", "uge", "status"], [ANNA, "2025-W07", "job"], [BO, "2025W08", "benefit"]])
    assert panel_rows(read(data)) == STATUS_EXPECTED


def test_unknown_columns_are_ignored() -> None:
    data = status_csv([["navn", "cpr", "note", "uge", "status", ""], ["Anna", ANNA, "x", "2025-W07", "job", "y"]])
    assert panel_rows(read(data)) == expected((ANNA, 2025, 7, "job"))


def test_progress_names_each_step() -> None:
    steps: list[str] = []
    read_status(csv_bytes(STATUS_ROWS), MAPPING, pseudonym_of, progress=steps.append)
    assert steps == ["read", "check", "link", "sort"]


# --- pseudonyms ------------------------------------------------------------------------------------


def test_pseudonymise_is_called_once_per_distinct_cpr_number() -> None:
    rows = [["cpr", "uge", "status"]]
    for week in range(1, 11):
        rows += [[ANNA, f"2025-W{week:02d}", "job"], [BO, f"2025-W{week:02d}", "benefit"]]
    rows += [["021190-0059", "2025-W11", "job"], [f" {BO}", "2025-W11", "job"], ["300678-0058 ", "2025-W12", "job"]]
    spy = Spy()
    extract = read_status(status_csv(rows), MAPPING, spy)
    assert sorted(spy.calls) == sorted([ANNA, BO])
    assert extract.panel.rows == 23
    assert extract.panel.persons.to_list() == sorted([pseudonym_of(ANNA), pseudonym_of(BO)])


def test_the_cpr_number_never_reaches_the_panel() -> None:
    extract = read(csv_bytes(STATUS_ROWS))
    panel = extract.panel
    assert set(panel.persons.to_list()) == {pseudonym_of(ANNA), pseudonym_of(BO)}
    assert panel.frame.columns == ["pid", "week", "code"]
    assert panel.frame.schema == pl.Schema({"pid": pl.UInt32, "week": pl.Int32, "code": pl.UInt16})
    persons, frame = panel.to_parquet()
    for number in (ANNA, BO):
        assert number.encode() not in persons + frame
        assert number not in panel.persons.to_list()


def test_an_already_pseudonymised_file_is_read_without_pseudonymising() -> None:
    spy = Spy()
    data = status_csv(
        [["Pseudonym", "uge", "status"], [PB.upper(), "2025-W07", "job"], [f" {PA} ", "2025-W08", "benefit"]]
    )
    extract = read_status(data, MAPPING, spy)
    assert spy.calls == []
    assert extract.identified_by == "pseudonym"
    assert extract.panel.persons.to_list() == [PA, PB]
    assert panel_rows(extract) == [(PA, W07 + 1, "benefit"), (PB, W07, "job")]
    assert set(PSEUDONYM_ALPHABET) >= set(PA + PB)


# --- the panel ---------------------------------------------------------------------------------------


def _scrambled() -> StatusExtract:
    data = status_csv(
        [
            ["cpr", "uge", "status"],
            [CARL, "2025-W09", "job"],
            [ANNA, "2025-W08", "education"],
            [CARL, "2025-W07", "benefit"],
            [BO, "2025-W10", "kontanthjaelp"],
            [ANNA, "2025-W07", "benefit"],
            [CARL, "2025-W08", "benefit"],
        ]
    )
    return read(data)


def test_the_panel_is_sorted_by_person_and_week_with_sorted_persons_and_codes() -> None:
    panel = _scrambled().panel
    persons = sorted(pseudonym_of(c) for c in (ANNA, BO, CARL))
    assert panel.persons.to_list() == persons
    assert panel.codes == ("benefit", "education", "job", "kontanthjaelp")
    assert panel.frame.equals(panel.frame.sort("pid", "week"))
    assert panel.frame.schema == pl.Schema({"pid": pl.UInt32, "week": pl.Int32, "code": pl.UInt16})
    pid = {p: i for i, p in enumerate(persons)}
    code = {c: i for i, c in enumerate(panel.codes)}
    records = [
        (CARL, 9, "job"), (ANNA, 8, "education"), (CARL, 7, "benefit"),
        (BO, 10, "kontanthjaelp"), (ANNA, 7, "benefit"), (CARL, 8, "benefit"),
    ]  # fmt: skip
    assert panel.frame.rows() == sorted((pid[pseudonym_of(c)], iso_week_index(2025, w), code[s]) for c, w, s in records)
    assert (panel.rows, panel.first_week, panel.last_week) == (6, W07, W07 + 3)


def test_with_persons_gives_pseudonyms_and_codes_as_text() -> None:
    panel = _scrambled().panel
    frame = panel.with_persons()
    assert frame.schema == pl.Schema({"person": pl.String, "week": pl.Int32, "code": pl.String})
    assert frame.rows() == expected(
        (CARL, 2025, 9, "job"), (ANNA, 2025, 8, "education"), (CARL, 2025, 7, "benefit"),
        (BO, 2025, 10, "kontanthjaelp"), (ANNA, 2025, 7, "benefit"), (CARL, 2025, 8, "benefit"),
    )  # fmt: skip


def test_categorised_maps_codes_to_categories_by_pid() -> None:
    panel = _scrambled().panel
    frame = panel.categorised(MAPPING)
    assert frame.schema == pl.Schema({"person": pl.UInt32, "week": pl.Int32, "category": pl.String})
    category = {"benefit": "benefit_cash", "education": "education", "job": "job", "kontanthjaelp": "benefit_cash"}
    assert frame.rows() == [(pid, week, category[panel.codes[c]]) for pid, week, c in panel.frame.iter_rows()]
    overridden = panel.categorised(StatusMapping({"benefit": "benefit_other"}))
    assert overridden["category"].to_list().count("benefit_other") == 3


def test_categorised_refuses_a_mapping_that_lost_a_stored_code() -> None:
    panel = _scrambled().panel
    mapping = StatusMapping({"benefit": "benefit_cash", "job": "job"}, defaults={})
    with pytest.raises(KeyError) as caught:
        panel.categorised(mapping)
    assert caught.value.args[0] == ["education", "kontanthjaelp"]


def test_an_empty_panel_has_the_same_columns() -> None:
    panel = Panel.empty()
    assert (panel.rows, panel.first_week, panel.last_week) == (0, None, None)
    assert panel.with_persons().schema == pl.Schema({"person": pl.String, "week": pl.Int32, "code": pl.String})
    assert panel.categorised(MAPPING).schema == pl.Schema(
        {"person": pl.UInt32, "week": pl.Int32, "category": pl.String}
    )


def test_the_panel_round_trips_through_parquet() -> None:
    panel = _scrambled().panel
    back = Panel.from_parquet(*panel.to_parquet(), codes=list(panel.codes))
    assert back.persons.equals(panel.persons)
    assert back.codes == panel.codes
    assert back.frame.equals(panel.frame)
    assert back.frame.schema == panel.frame.schema
    empty = Panel.empty()
    back = Panel.from_parquet(*empty.to_parquet(), codes=[])
    assert (back.persons.len(), back.codes, back.frame.schema) == (0, (), empty.frame.schema)


# --- merging status --------------------------------------------------------------------------------

Records = dict[tuple[str, int], str]  # (pseudonym, week) -> code


def records_of(panel: Panel) -> Records:
    return {(p, w): c for p, w, c in panel.with_persons().iter_rows()}


def panel_of(records: Records) -> Panel:
    """A panel built directly in the documented layout (sorted persons, sorted codes, sorted frame)."""
    if not records:
        return Panel.empty()
    persons = sorted({p for p, _ in records})
    codes = tuple(sorted(set(records.values())))
    rows = sorted((persons.index(p), w, codes.index(c)) for (p, w), c in records.items())
    frame = pl.DataFrame(rows, schema={"pid": pl.UInt32, "week": pl.Int32, "code": pl.UInt16}, orient="row")
    return Panel(pl.Series("person", persons, pl.String), codes, frame)


def reference_merge(stored: Records, extract: Records) -> tuple[Records, MergeCounts]:
    added = sum(key not in stored for key in extract)
    changed = sum(key in stored and stored[key] != code for key, code in extract.items())
    return {**stored, **extract}, MergeCounts(added, changed, len(extract) - added - changed)


def assert_well_formed(panel: Panel) -> None:
    assert panel.persons.to_list() == sorted(set(panel.persons.to_list()))
    assert list(panel.codes) == sorted(set(panel.codes))
    assert panel.frame.schema == pl.Schema({"pid": pl.UInt32, "week": pl.Int32, "code": pl.UInt16})
    assert panel.frame.equals(panel.frame.sort("pid", "week"))
    assert not panel.frame.select("pid", "week").is_duplicated().any()


def pseudonym_csv(rows: Iterable[tuple[str, str, str]]) -> bytes:
    return status_csv([["pseudonym", "uge", "status"], *[list(r) for r in rows]])


def test_the_first_import_adds_every_row() -> None:
    extract = _scrambled().panel
    for stored in (None, Panel.empty()):
        merged, counts = merge_status(stored, extract)
        assert counts == MergeCounts(added=6, changed=0, unchanged=0)
        assert not counts.noop
        assert merged is extract


def test_the_same_extract_again_changes_nothing() -> None:
    stored = _scrambled().panel
    merged, counts = merge_status(stored, _scrambled().panel)
    assert counts == MergeCounts(added=0, changed=0, unchanged=6)
    assert counts.noop
    assert merged is stored


def test_a_later_overlapping_extract_adds_changes_and_keeps() -> None:
    stored = read(
        pseudonym_csv(
            [(PA, f"2025-W{w:02d}", "benefit") for w in (1, 2, 3, 4)]
            + [(PC, f"2025-W{w:02d}", "benefit") for w in (1, 2, 3, 4)]
        )
    ).panel
    extract = read(
        pseudonym_csv(
            [
                (PC, "2025-W03", "benefit"),  # unchanged
                (PC, "2025-W04", "job"),  # changed
                (PC, "2025-W05", "job"),  # added
                (PC, "2025-W06", "job"),  # added
                (PB, "2025-W03", "education"),  # a new person, between the stored ones: added
                (PB, "2025-W04", "education"),  # added
            ]
        )
    ).panel
    assert (stored.codes, extract.codes) == (("benefit",), ("benefit", "education", "job"))

    merged, counts = merge_status(stored, extract)

    assert counts == MergeCounts(added=4, changed=1, unchanged=1)
    assert not counts.noop
    assert_well_formed(merged)
    assert merged.persons.to_list() == [PA, PB, PC]
    assert merged.codes == ("benefit", "education", "job")
    week = {w: iso_week_index(2025, w) for w in range(1, 7)}
    assert panel_rows(merged) == [
        *[(PA, week[w], "benefit") for w in (1, 2, 3, 4)],  # only in the stored panel: kept
        (PB, week[3], "education"),
        (PB, week[4], "education"),
        (PC, week[1], "benefit"),  # weeks 1-2 only in the stored panel: kept
        (PC, week[2], "benefit"),
        (PC, week[3], "benefit"),
        (PC, week[4], "job"),
        (PC, week[5], "job"),
        (PC, week[6], "job"),
    ]
    reference, reference_counts = reference_merge(records_of(stored), records_of(extract))
    assert records_of(merged) == reference
    assert counts == reference_counts

    again, counts = merge_status(merged, extract)
    assert counts == MergeCounts(added=0, changed=0, unchanged=6)
    assert again is merged


def test_an_empty_extract_changes_nothing() -> None:
    stored = _scrambled().panel
    merged, counts = merge_status(stored, Panel.empty())
    assert counts == MergeCounts(0, 0, 0)
    assert merged is stored


POOL = [c * PSEUDONYM_LENGTH for c in "adkmz"]
CODES = ["benefit", "job", "education"]
records_strategy = st.dictionaries(
    st.tuples(st.sampled_from(POOL), st.integers(min_value=-3, max_value=8)), st.sampled_from(CODES), max_size=30
)


@settings(max_examples=150, deadline=None)
@given(stored=records_strategy, extract=records_strategy)
def test_merging_matches_a_dictionary_reference(stored: Records, extract: Records) -> None:
    merged, counts = merge_status(panel_of(stored), panel_of(extract))
    reference, reference_counts = reference_merge(stored, extract)
    assert records_of(merged) == reference
    assert counts == reference_counts
    assert_well_formed(merged)
    # Merging the same extract again is a no-op that returns the panel unchanged.
    again, counts = merge_status(merged, panel_of(extract))
    assert counts == MergeCounts(0, 0, len(extract))
    assert records_of(again) == reference
    assert again is merged or not reference  # an empty stored panel is simply replaced


# --- events: reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("Job", "job"),
        ("beskæftigelse", "job"),
        ("Beskaeftigelse", "job"),
        ("ansættelse", "job"),
        ("Employment", "job"),
        ("Uddannelse", "education"),
        ("EDUCATION", "education"),
        ("studie", "education"),
    ],
)
def test_event_kinds_are_read_in_danish_and_english(written: str, kind: str) -> None:
    data = csv_bytes([["cpr", "hændelse", "startdato"], [ANNA, written, "12-02-2025"]])
    extract = read_events(data, pseudonym_of)
    assert extract.frame.rows() == [(pseudonym_of(ANNA), kind, date(2025, 2, 12), W07)]


def test_an_event_file_is_read_sorted_with_week_indices() -> None:
    spy = Spy()
    data = csv_bytes(
        [
            ["CPR", "Type", "Dato"],
            [BO, "Uddannelse", "2025-08-01"],
            [ANNA, "Job", "01-03-2025"],
            [ANNA, "Uddannelse", "12-02-2025"],
            ["021190-0059", "Job", "12-02-2025"],
        ]
    )
    extract = read_events(data, spy)
    assert sorted(spy.calls) == sorted([ANNA, BO])
    assert (extract.rows, extract.format, extract.identified_by) == (4, "csv", "cpr")
    assert extract.frame.schema == pl.Schema(EVENT_SCHEMA)
    a, b = pseudonym_of(ANNA), pseudonym_of(BO)
    expected_rows = [
        (a, "education", date(2025, 2, 12), W07),
        (a, "job", date(2025, 2, 12), W07),
        (a, "job", date(2025, 3, 1), W07 + 2),
        (b, "education", date(2025, 8, 1), week_index(date(2025, 8, 1))),
    ]
    assert extract.frame.rows() == sorted(expected_rows, key=lambda r: (r[0], r[2], r[1]))


def test_an_event_file_may_be_xlsx_or_parquet_and_pseudonymised() -> None:
    xlsx = xlsx_bytes([["pseudonym", "event", "date"], [PA.upper(), "job", date(2025, 2, 12)]])
    assert read_events(xlsx, pseudonym_of).frame.rows() == [(PA, "job", date(2025, 2, 12), W07)]
    parquet = parquet_bytes(pl.DataFrame({"cpr": [ANNA], "type": ["job"], "start": [date(2025, 2, 12)]}))
    extract = read_events(parquet, pseudonym_of)
    assert extract.format == "parquet"
    assert extract.frame.rows() == [(pseudonym_of(ANNA), "job", date(2025, 2, 12), W07)]


def test_event_problems_are_reported_with_their_rows() -> None:
    data = csv_bytes(
        [
            ["cpr", "type", "dato"],
            [ANNA, "Job", "12-02-2025"],
            [ANNA, "ferie", "2025-03-01"],  # 3: not a kind of event
            [BO, "", "01-08-2025"],  # 4: blank kind
            [BO, "job", "32-01-2025"],  # 5: not a date
            ["", "job", ""],  # 6: blank person and date
            ["021190-0059", "JOB", "12-02-2025"],  # 7: row 2 again
            [ANNA, "beskæftigelse", "2025-02-12"],  # 8: and again
            ["3201900059", "job", "06-01-25"],  # 9: bad CPR, two-digit year
        ]
    )
    assert event_problems(data) == [
        (3, "type", "ferie", "event"),
        (4, "type", "", "blank"),
        (5, "dato", "32-01-2025", "date"),
        (6, "cpr", "", "blank"),
        (6, "dato", "", "blank"),
        (7, "cpr", "021190-0059", "duplicate_event"),
        (8, "cpr", ANNA, "duplicate_event"),
        (9, "cpr", "3201900059", "cpr"),
        (9, "dato", "06-01-25", "date"),
    ]


def test_the_same_date_for_another_kind_is_no_duplicate() -> None:
    data = csv_bytes([["cpr", "type", "dato"], [ANNA, "job", "12-02-2025"], [ANNA, "uddannelse", "12-02-2025"]])
    assert read_events(data, pseudonym_of).frame.height == 2


@pytest.mark.parametrize(
    ("heading", "found"),
    [
        ("cpr;type", [(None, "date", "", "missing_column")]),
        ("cpr;dato", [(None, "event", "", "missing_column")]),
        ("type;dato", [(None, "cpr / pseudonym", "", "missing_column")]),
        ("cpr;pid;type;dato", [(None, "cpr", "pid", "person_columns")]),
    ],
)
def test_event_file_columns_are_checked(heading: str, found: list[Row]) -> None:
    assert event_problems(f"{heading}\r\nx;y\r\n".encode()) == found


def test_an_event_file_without_rows_is_empty() -> None:
    assert event_problems(b"cpr;type;dato\r\n") == [(None, "", "", "empty")]


# --- events: merging -------------------------------------------------------------------------------

START, UNTIL = date(2025, 1, 1), date(2025, 12, 31)


def events(*rows: tuple[str, str, date]) -> pl.DataFrame:
    return pl.DataFrame([(p, k, d, week_index(d)) for p, k, d in rows], schema=EVENT_SCHEMA, orient="row").sort(
        "person", "date", "kind"
    )


def test_the_first_event_extract_adds_everything_once() -> None:
    extract = events((PA, "job", date(2025, 2, 1)), (PA, "job", date(2025, 2, 1)), (PB, "education", date(2025, 3, 1)))
    merged, counts = merge_events(None, extract, start=START, until=UNTIL)
    assert counts == EventCounts(added=2, removed=0, unchanged=0)
    assert merged.rows() == events((PA, "job", date(2025, 2, 1)), (PB, "education", date(2025, 3, 1))).rows()
    merged, counts = merge_events(events(), extract, start=START, until=UNTIL)
    assert counts == EventCounts(2, 0, 0)


def test_an_event_extract_replaces_its_period_and_keeps_the_rest() -> None:
    stored = events(
        (PA, "job", date(2024, 12, 31)),  # before the period: kept
        (PA, "job", date(2025, 2, 1)),  # in both: unchanged
        (PB, "education", date(2025, 3, 1)),  # withdrawn: removed
        (PB, "job", START),  # on the first day, not in the extract: removed
        (PB, "job", date(2026, 1, 1)),  # after the period: kept
        (PC, "job", UNTIL),  # on the last day, in the extract: unchanged
    )
    extract = events(
        (PA, "job", date(2025, 2, 1)),
        (PB, "education", date(2025, 3, 2)),  # the corrected date: added
        (PC, "job", UNTIL),
        (PC, "education", date(2025, 6, 1)),  # added
    )
    merged, counts = merge_events(stored, extract, start=START, until=UNTIL)
    assert counts == EventCounts(added=2, removed=2, unchanged=2)
    assert not counts.noop
    assert merged.schema == pl.Schema(EVENT_SCHEMA)
    assert (
        merged.rows()
        == events(
            (PA, "job", date(2024, 12, 31)),
            (PA, "job", date(2025, 2, 1)),
            (PB, "education", date(2025, 3, 2)),
            (PB, "job", date(2026, 1, 1)),
            (PC, "job", UNTIL),
            (PC, "education", date(2025, 6, 1)),
        ).rows()
    )

    again, counts = merge_events(merged, extract, start=START, until=UNTIL)
    assert counts == EventCounts(added=0, removed=0, unchanged=4)
    assert counts.noop
    assert again is merged


def test_an_empty_event_extract_removes_the_period() -> None:
    stored = events((PA, "job", date(2024, 6, 1)), (PA, "job", date(2025, 6, 1)))
    merged, counts = merge_events(stored, events(), start=START, until=UNTIL)
    assert counts == EventCounts(added=0, removed=1, unchanged=0)
    assert merged.rows() == events((PA, "job", date(2024, 6, 1))).rows()


def test_merging_a_read_event_file() -> None:
    data = csv_bytes([["pseudonym", "type", "dato"], [PA, "job", "12-02-2025"], [PB, "Uddannelse", "2025-08-01"]])
    extract = read_events(data, pseudonym_of).frame
    stored, counts = merge_events(None, extract, start=START, until=UNTIL)
    assert counts == EventCounts(2, 0, 0)
    again, counts = merge_events(stored, read_events(data, pseudonym_of).frame, start=START, until=UNTIL)
    assert (counts, again is stored) == (EventCounts(0, 0, 2), True)


def test_events_outside_the_period_are_found_and_the_bounds_are_inside() -> None:
    extract = events(
        (PA, "job", date(2024, 12, 31)),
        (PA, "job", START),
        (PB, "job", date(2025, 6, 1)),
        (PB, "job", UNTIL),
        (PC, "education", date(2026, 1, 1)),
    )
    outside = events_outside(extract, start=START, until=UNTIL)
    assert outside.rows() == events((PA, "job", date(2024, 12, 31)), (PC, "education", date(2026, 1, 1))).rows()
    assert events_outside(extract, start=date(2020, 1, 1), until=date(2030, 1, 1)).is_empty()


def test_missing_week_and_code_columns_are_reported_together() -> None:
    with pytest.raises(Problems) as raised:
        read(b"cpr;note\n0211900059;x\n")
    found = [(p.column, p.code) for p in raised.value.all()]
    assert found == [("status", "missing_column"), ("year_week", "missing_column")]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5)), min_size=1, max_size=30))
def test_the_sort_shortcut_gives_the_full_sort(pairs: list[tuple[int, int]]) -> None:
    from jobtro.lib.outcome_files import _sort_by_person_and_week

    frame = pl.DataFrame(
        {
            "__row": list(range(2, len(pairs) + 2)),
            "pid": pl.Series([p for p, _ in pairs], dtype=pl.UInt32),
            "week": pl.Series([w for _, w in pairs], dtype=pl.Int32),
            "code": pl.Series([0] * len(pairs), dtype=pl.UInt16),
        }
    )
    assert _sort_by_person_and_week(frame).equals(frame.sort("pid", "week", "__row"))
