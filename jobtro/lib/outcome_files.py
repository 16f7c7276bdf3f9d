"""Reading and checking outcome register files - weekly status and job/education events - at national
scale, and merging a new extract into what is stored. Pure: polars, no Django.

Files
-----
A **weekly status** file has one row per person and week: the person (a CPR number, or a pseudonym
jobtro made earlier), the ISO week and the register's status code. An **event** file has one row per
start of a job or an education: the person, the kind (job or education) and the date it started.
Both come as CSV (any delimiter, UTF-8/Windows-1252/UTF-16, Excel's ``sep=`` line), Parquet or XLSX,
told apart by content. Headings are matched case- and punctuation-insensitively in Danish or English
(:data:`STATUS_HEADINGS`, :data:`EVENT_HEADINGS`); the week may be one column (``2025-W07``,
``2025W07``, ``2025-07``, ``202507``, or any date in the week) or two (ISO year and week number).

Rows are numbered as a spreadsheet shows them: the heading is row 1, the first data row row 2 (Excel
hides a ``sep=`` line, so it is not counted). In a Parquet file, which has no heading row, row 1 is the first record.

Checking
--------
Every value is checked and *every* problem is reported (:class:`Problems`: row, column, value and a
stable problem code the caller words in the user's language). The checks run on the *distinct*
values of a column - a national panel has 31 million rows but only 300,000 persons, about 104 weeks
and a handful of codes - and only the rows holding a bad value are looked up, so a clean file costs a
few vectorised passes. Unknown status codes are reported once per code with the number of rows and
the first row (:attr:`Problems.unknown_codes` lists them): an unknown code is never silently "other".

Identity
--------
CPR numbers are checked (:func:`jobtro.lib.cpr.parse`) and replaced by their keyed pseudonym with
the caller's ``pseudonymise`` function, called once per distinct number; the CPR number never leaves
this module. An already-pseudonymised file must hold pseudonyms of jobtro's shape.

Weeks
-----
A week is stored as an integer: the number of weeks since Monday 5 January 1970
(:func:`week_index`), so consecutive calendar weeks are consecutive integers across ISO years with
53 weeks, which the spells (:mod:`jobtro.stats.spells`) rely on.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

import numpy as np
import polars as pl

from jobtro.lib import cpr as cprlib
from jobtro.lib import tabular
from jobtro.lib.pseudonym import PSEUDONYM_ALPHABET, PSEUDONYM_LENGTH
from jobtro.lib.status_codes import EDUCATION, JOB, StatusMapping

WEEK_EPOCH: Final = date(1970, 1, 5)  # a Monday: week index 0
_PARQUET_MAGIC = b"PAR1"
MAX_XLSX_ROWS = 1_048_576  # what Excel itself can hold

STATUS_HEADINGS: Final[Mapping[str, tuple[str, ...]]] = {
    "cpr": ("cpr", "cpr_nr", "cprnr", "cpr-nummer", "personnummer", "pnr"),
    "pseudonym": ("pseudonym", "person", "person_id", "personid", "pid"),
    "year_week": ("year_week", "aar_uge", "år_uge", "aaruge", "uge_aar", "isouge", "iso_week_label", "week_label"),
    "year": ("year", "iso_year", "aar", "år", "isoaar"),
    "week": ("week", "iso_week", "uge", "ugenr", "ugenummer"),
    "code": ("status", "code", "kode", "statuskode", "status_code", "ydelse", "ydelseskode"),
}
EVENT_HEADINGS: Final[Mapping[str, tuple[str, ...]]] = {
    "cpr": STATUS_HEADINGS["cpr"],
    "pseudonym": STATUS_HEADINGS["pseudonym"],
    "event": ("event", "type", "haendelse", "hændelse", "event_type", "forloeb", "forløb"),
    "date": ("date", "start", "start_date", "startdato", "dato", "fra", "from"),
}
# Event kinds as written in files (normalised like headings) -> category.
EVENT_KINDS: Final[Mapping[str, str]] = {
    "job": JOB,
    "beskaeftigelse": JOB,
    "arbejde": JOB,
    "ansaettelse": JOB,
    "selvforsoergelse": JOB,
    "employment": JOB,
    "education": EDUCATION,
    "uddannelse": EDUCATION,
    "studie": EDUCATION,
}

# Problem codes -> English wording (the Django layer words them in Danish; see jobtro.outcomes.messages).
PROBLEM_CODES: Final[Mapping[str, str]] = {
    "unreadable": "the file cannot be read as CSV, Parquet or XLSX",
    "empty": "the file has no heading row or no rows",
    "missing_column": "a required column is missing",
    "person_columns": "give either a CPR column or a pseudonym column, not both",
    "repeated_column": "the column appears twice",
    "week_columns": "give the week either as one column (year-week) or as year and week, not both",
    "blank": "the value is missing",
    "cpr": "not a valid CPR number",
    "pseudonym": "not a pseudonym made by jobtro (24 characters a-z, 2-7)",
    "week": "not an ISO week (e.g. 2025-W07)",
    "year": "not a year",
    "week_number": "not a week number of that ISO year (1-52, or 53 in long years)",
    "unknown_code": "status code not in the project's mapping",
    "duplicate": "the same person and week appear in an earlier row",
    "event": "not a kind of event (job or education)",
    "date": "not a date",
    "duplicate_event": "the same person, event and date appear in an earlier row",
    "outside_period": "the date lies outside the period the file covers",
    "period": "the period's start lies after its end",
}

_PSEUDONYM = re.compile(f"[{PSEUDONYM_ALPHABET}]{{{PSEUDONYM_LENGTH}}}")
# 2025-W07, 2025W07, 2025-07, 2025/07, 2025 W7, 202507 (ASCII digits only).
_YEAR_WEEK = re.compile(r"([0-9]{4})\s*[-/ ]?\s*[wW]?\s*([0-9]{1,2})")
_PROBLEM_SCHEMA: Final = {"row": pl.Int64, "column": pl.String, "value": pl.String, "code": pl.String}


# --- weeks ----------------------------------------------------------------------------------------


def week_index(day: date) -> int:
    """Weeks since Monday 5 January 1970 of the ISO week ``day`` lies in."""
    return (day - WEEK_EPOCH).days // 7


def week_start(index: int) -> date:
    """The Monday of week ``index``."""
    return WEEK_EPOCH + timedelta(weeks=index)


def week_label(index: int) -> str:
    """The ISO label of week ``index``, e.g. ``"2025-W07"``."""
    year, week, _ = week_start(index).isocalendar()
    return f"{year}-W{week:02d}"


def iso_week_index(year: int, week: int) -> int:
    """The index of ISO ``year``-W``week``; ``ValueError`` if the year has no such week."""
    return week_index(date.fromisocalendar(year, week, 1))


# --- problems -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One problem: the spreadsheet row (None for the whole file), the column's heading as written
    (or the expected one when missing), the value as written and a code from :data:`PROBLEM_CODES`;
    ``count`` > 1 when one problem stands for several rows (an unknown status code)."""

    row: int | None
    column: str
    value: str
    code: str
    count: int = 1

    @property
    def why(self) -> str:
        return PROBLEM_CODES[self.code]


class Problems(ValueError):
    """The file cannot be imported; :attr:`frame` holds every problem (row, column, value, code, count),
    file-level problems first, then by row."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        super().__init__(f"{frame.height} problem(s) in the file")

    def __len__(self) -> int:
        return self.frame.height

    def head(self, n: int) -> list[Problem]:
        return [Problem(**row) for row in self.frame.head(n).iter_rows(named=True)]

    def all(self) -> list[Problem]:
        return self.head(self.frame.height)

    @property
    def unknown_codes(self) -> list[str]:
        return sorted(self.frame.filter(pl.col("code") == "unknown_code")["value"].to_list())


def _file_problem(code: str, column: str = "", value: str = "") -> Problems:
    return Problems(_problem_frame([(None, column, value, code, 1)]))


def _problem_frame(rows: Iterable[tuple[int | None, str, str, str, int]]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema={**_PROBLEM_SCHEMA, "count": pl.Int64}, orient="row")


# --- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawTable:
    """A file as text columns: ``frame`` has the headings as written (deduplicated as ``c0``..``cN``
    internally) in string columns ``c0..``, ``__row`` (spreadsheet row) and, for XLSX, ``__numeric_i``
    flags for cells that were numbers."""

    headings: tuple[str, ...]
    frame: pl.DataFrame
    format: str


def read_table(data: bytes) -> RawTable:
    """Read CSV, Parquet or XLSX bytes into text columns (see :class:`RawTable`).

    Raises
    ------
    Problems
        ``unreadable`` or ``empty``.
    """
    if not data.strip():
        raise _file_problem("empty")
    if data.startswith(_PARQUET_MAGIC):
        return _read_parquet(data)
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        return _read_xlsx(data)
    return _read_csv(data)


def _read_parquet(data: bytes) -> RawTable:
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # polars raises several types for damaged files
        raise _file_problem("unreadable") from exc
    if not frame.width:
        raise _file_problem("empty")
    headings = tuple(frame.columns)
    try:
        text = frame.select(
            [
                (pl.col(c).dt.strftime("%Y-%m-%d") if dtype.is_temporal() else pl.col(c).cast(pl.String)).alias(f"c{i}")
                for i, (c, dtype) in enumerate(frame.schema.items())
            ]
        ).with_row_index("__row", offset=1)
    except pl.exceptions.PolarsError as exc:  # a column that has no text form (a list, a struct)
        raise _file_problem("unreadable") from exc
    return RawTable(headings, text.with_columns(pl.col("__row").cast(pl.Int64)), "parquet")


def _read_xlsx(data: bytes) -> RawTable:
    try:
        table = tabular.read_xlsx(data, max_rows=MAX_XLSX_ROWS)
    except tabular.TabularError as exc:
        raise _file_problem("empty" if exc.code == "empty" else "unreadable") from exc
    width = len(table.header.cells)
    columns: dict[str, list[object]] = {f"c{i}": [r.get(i) for r in table.rows] for i in range(width)}
    for i in range(width):
        columns[f"__numeric_{i}"] = [i in r.numeric for r in table.rows]
    columns["__row"] = [r.number for r in table.rows]
    frame = pl.DataFrame(
        columns,
        schema={
            **{f"c{i}": pl.String for i in range(width)},
            **{f"__numeric_{i}": pl.Boolean for i in range(width)},
            "__row": pl.Int64,
        },
    )
    return RawTable(tuple(table.header.cells), frame, "xlsx")


def _read_csv(data: bytes) -> RawTable:
    offset = 2  # heading is row 1
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with BOM (Excel's "Unicode text")
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise _file_problem("unreadable") from exc
    match = re.match(rb"(?:\xef\xbb\xbf)?sep=([^\r\n])[ \t]*(?:\r\n|\r|\n)", data, re.IGNORECASE)
    if match:
        delimiter = match.group(1).decode("latin-1")
        data = data[match.end() :]  # Excel hides the line, so it does not count as a row (as in tabular)
    else:
        first = data.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff")
        delimiter = tabular.sniff_delimiter(first)
    try:
        frame = _polars_csv(data, delimiter)
    except pl.exceptions.ComputeError as exc:
        if "utf-8" not in str(exc).lower():
            raise _file_problem("unreadable") from exc
        # Windows-1252 (Excel's "CSV" on a Danish Windows); see jobtro.lib.tabular for why this order.
        try:
            frame = _polars_csv(data.decode("cp1252").encode("utf-8"), delimiter)
        except (UnicodeDecodeError, pl.exceptions.PolarsError) as again:
            raise _file_problem("unreadable") from again
    except pl.exceptions.PolarsError as exc:
        raise _file_problem("unreadable") from exc
    headings = tuple(h or "" for h in frame.row(0)) if frame.height else ()
    text = (
        frame.slice(1)
        .select([pl.col(c).alias(f"c{i}") for i, c in enumerate(frame.columns)])
        .with_row_index("__row", offset=offset)
    )
    text = text.with_columns(pl.col("__row").cast(pl.Int64))
    # Blank lines come back as all-null records; they keep their row number but are not data.
    cells = [f"c{i}" for i in range(len(headings))]
    text = text.filter(~pl.all_horizontal([pl.col(c).fill_null("").str.strip_chars() == "" for c in cells]))
    return RawTable(headings, text, "csv")


def _polars_csv(data: bytes, delimiter: str) -> pl.DataFrame:
    # Every column as text: CPR numbers keep their leading zeros, and checking is ours, not polars'.
    # The heading is read as the first record: as a heading, polars would rename a repeated one
    # ("status_duplicated_0") and decode one that is not UTF-8 lossily instead of failing.
    return pl.read_csv(
        io.BytesIO(data),
        separator=delimiter,
        has_header=False,
        infer_schema=False,
        truncate_ragged_lines=True,
        raise_if_empty=False,
        encoding="utf8",
    )


# --- checking -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    """Which text column holds what (``c<i>`` names), and the headings as written, for messages."""

    found: dict[str, str]
    headings: dict[str, str]


def _match(raw: RawTable, aliases: Mapping[str, tuple[str, ...]], required: Iterable[str]) -> Columns:
    match = tabular.match_headings(raw.headings, aliases)
    problems: list[tuple[int | None, str, str, str, int]] = []
    for index, first in match.repeated:
        problems.append((None, raw.headings[index], raw.headings[first], "repeated_column", 1))
    found = {key: f"c{index}" for key, index in match.columns.items()}
    headings = {key: raw.headings[index] for key, index in match.columns.items()}
    if "cpr" in found and "pseudonym" in found:
        problems.append((None, headings["cpr"], headings["pseudonym"], "person_columns", 1))
    elif "cpr" not in found and "pseudonym" not in found:
        problems.append((None, "cpr / pseudonym", "", "missing_column", 1))
    problems.extend((None, aliases[key][0], "", "missing_column", 1) for key in required if key not in found)
    if "year" in aliases and not {"year_week", "year", "week"} & set(found):
        # Reported with the other missing columns, so one upload shows every file-level problem.
        problems.append((None, aliases["year_week"][0], "", "missing_column", 1))
    if problems:
        raise Problems(_problem_frame(problems))
    return Columns(found, headings)


def _problem_rows(frame: pl.DataFrame, column: str, heading: str, bad: Mapping[str, str]) -> pl.DataFrame:
    """The rows of ``frame`` whose ``column`` (as written; null read as "") is a key of ``bad``
    (value -> problem code). Only called with problems, so the pass over the file is paid only then."""
    if not bad:
        return _problem_frame([])
    table = pl.DataFrame(
        {"__raw": list(bad), "code": list(bad.values())}, schema={"__raw": pl.String, "code": pl.String}
    )
    return (
        frame.select("__row", pl.col(column).fill_null("").alias("__raw"))
        .join(table, on="__raw", how="inner")
        .select(
            pl.col("__row").alias("row"),
            pl.lit(heading).alias("column"),
            pl.col("__raw").alias("value"),
            "code",
            pl.lit(1, pl.Int64).alias("count"),
        )
    )


def _distinct(frame: pl.DataFrame, column: str) -> list[str]:
    return [v if v is not None else "" for v in frame.get_column(column).unique().to_list()]


def _restore_xlsx_cpr(raw: RawTable, column: str) -> pl.DataFrame:
    flag = f"__numeric_{column[1:]}"
    if flag not in raw.frame.columns:
        return raw.frame
    # A CPR number in a number-formatted XLSX cell has lost its leading zero (see jobtro.lib.tabular).
    return raw.frame.with_columns(
        pl.when(pl.col(flag)).then(pl.col(column).str.zfill(10)).otherwise(pl.col(column)).alias(column)
    )


def _person_keys(
    frame: pl.DataFrame, cols: Columns, pseudonymise: Callable[[str], str]
) -> tuple[str, dict[str, str], pl.DataFrame]:
    """(column, raw value -> pseudonym, problems) for the person column, computed per distinct value."""
    by_cpr = "cpr" in cols.found
    column = cols.found["cpr" if by_cpr else "pseudonym"]
    heading = cols.headings["cpr" if by_cpr else "pseudonym"]
    persons: dict[str, str] = {}
    bad: dict[str, str] = {}
    pseudonyms: dict[str, str] = {}  # CPR number -> pseudonym: "0211900059" and "021190-0059" are one number
    for raw in _distinct(frame, column):
        value = raw.strip()
        if not value:
            bad[raw] = "blank"
        elif by_cpr:
            try:
                number = cprlib.parse(value).number
            except cprlib.CPRError:
                bad[raw] = "cpr"
            else:
                if number not in pseudonyms:
                    pseudonyms[number] = pseudonymise(number)
                persons[raw] = pseudonyms[number]
        elif _PSEUDONYM.fullmatch(value.lower()):
            persons[raw] = value.lower()
        else:
            bad[raw] = "pseudonym"
    return column, persons, _problem_rows(frame, column, heading, bad)


def _parse_year_week(text: str) -> int | str:
    """Week index, or a problem code."""
    if not text:
        return "blank"
    if m := _YEAR_WEEK.fullmatch(text):
        try:
            return iso_week_index(int(m.group(1)), int(m.group(2)))
        except ValueError:
            return "week_number"
    try:
        return week_index(tabular.parse_date(text))
    except tabular.DateError:
        return "week"


def _week_keys(frame: pl.DataFrame, cols: Columns) -> tuple[list[str], pl.DataFrame, pl.DataFrame]:
    """(key columns, key -> ``week`` table, problems) for the week column(s)."""
    if "week" in cols.found and "year" not in cols.found and "year_week" not in cols.found:
        # A lone "uge"/"week" column holds the whole ISO week ("2025-W07"): nothing else could name the year.
        cols = Columns(
            {**cols.found, "year_week": cols.found["week"]}, {**cols.headings, "year_week": cols.headings["week"]}
        )
        del cols.found["week"], cols.headings["week"]
    if "year_week" in cols.found:
        if "year" in cols.found or "week" in cols.found:
            other = cols.headings.get("year") or cols.headings["week"]
            raise Problems(_problem_frame([(None, cols.headings["year_week"], other, "week_columns", 1)]))
        column = cols.found["year_week"]
        weeks: dict[str, int] = {}
        bad: dict[str, str] = {}
        for raw in _distinct(frame, column):
            parsed = _parse_year_week(raw.strip())
            if isinstance(parsed, int):
                weeks[raw] = parsed
            else:
                bad[raw] = parsed
        table = pl.DataFrame(
            {column: list(weeks), "week": list(weeks.values())}, schema={column: pl.String, "week": pl.Int32}
        )
        return [column], table, _problem_rows(frame, column, cols.headings["year_week"], bad)
    missing = [k for k in ("year", "week") if k not in cols.found]
    if missing:
        name = STATUS_HEADINGS["year_week"][0] if len(missing) == 2 else STATUS_HEADINGS[missing[0]][0]
        raise Problems(_problem_frame([(None, name, "", "missing_column", 1)]))
    ycol, wcol = cols.found["year"], cols.found["week"]
    good: list[tuple[str, str, int]] = []
    bad_year: dict[str, str] = {}
    bad_pairs: list[tuple[str, str, str]] = []
    pairs = frame.select(pl.col(ycol).fill_null(""), pl.col(wcol).fill_null("")).unique()
    for y_raw, w_raw in pairs.iter_rows():
        y, w = y_raw.strip(), w_raw.strip()
        if not y or not (y.isascii() and y.isdigit() and len(y) == 4):
            bad_year[y_raw] = "blank" if not y else "year"
            continue
        if not w:
            bad_pairs.append((y_raw, w_raw, "blank"))
            continue
        try:
            if not (w.isascii() and w.isdigit()):
                raise ValueError(w)
            good.append((y_raw, w_raw, iso_week_index(int(y), int(w))))
        except ValueError:
            bad_pairs.append((y_raw, w_raw, "week_number"))
    problems = [_problem_rows(frame, ycol, cols.headings["year"], bad_year)]
    if bad_pairs:
        # A week number is wrong only together with its year (W53 exists in some years): match pairs.
        table = pl.DataFrame(bad_pairs, schema={ycol: pl.String, wcol: pl.String, "code": pl.String}, orient="row")
        problems.append(
            frame.select("__row", pl.col(ycol).fill_null(""), pl.col(wcol).fill_null(""))
            .join(table, on=[ycol, wcol], how="inner")
            .select(
                pl.col("__row").alias("row"), pl.lit(cols.headings["week"]).alias("column"),
                pl.col(wcol).alias("value"), "code", pl.lit(1, pl.Int64).alias("count"),
            )
        )  # fmt: skip
    table = pl.DataFrame(good, schema={ycol: pl.String, wcol: pl.String, "week": pl.Int32}, orient="row")
    return [ycol, wcol], table, pl.concat(problems, how="vertical_relaxed")


def _raise_if(problems: Iterable[pl.DataFrame]) -> None:
    frames = [p for p in problems if not p.is_empty()]
    if frames:
        frame = pl.concat(frames, how="vertical_relaxed")
        raise Problems(frame.sort("row", "column", nulls_last=False, maintain_order=True))


def _sort_by_person_and_week(linked: pl.DataFrame) -> pl.DataFrame:
    """Sorted by (pid, week, __row). Register files come sorted by person and week, so a stable sort on
    the person alone usually suffices (a third of the full sort's time); the weeks are then checked to
    rise within each person, and only if they do not is the full sort paid."""
    if linked["pid"].null_count() or linked["week"].null_count():  # a file with problems: no shortcut
        return linked.sort("pid", "week", "__row")
    by_person = linked.sort("pid", maintain_order=True)
    week, pid = by_person["week"], by_person["pid"]
    # Strictly rising within a person (a tie is a repeated week, which the full sort puts in row order).
    rising = ((week > week.shift(1)) | (pid != pid.shift(1))).slice(1).all()
    return by_person if rising else linked.sort("pid", "week", "__row")


def _repeats(
    linked: pl.DataFrame, keys: tuple[str, ...], frame: pl.DataFrame, cols: Columns, person_column: str, code: str
) -> pl.DataFrame:
    """Rows repeating the ``keys`` of an earlier row; ``linked`` is sorted by the keys and then ``__row``."""
    repeated = linked.filter(pl.all_horizontal([pl.col(k) == pl.col(k).shift(1) for k in keys]))
    if repeated.is_empty():
        return _problem_frame([])
    heading = cols.headings.get("cpr") or cols.headings["pseudonym"]
    return (
        repeated.select("__row")
        .join(frame.select("__row", pl.col(person_column).fill_null("").alias("value")), on="__row")
        .select(
            pl.col("__row").alias("row"), pl.lit(heading).alias("column"), "value",
            pl.lit(code).alias("code"), pl.lit(1, pl.Int64).alias("count"),
        )
    )  # fmt: skip


@dataclass(frozen=True)
class Panel:
    """Weekly status of many persons, compactly: ``persons`` (sorted pseudonyms; a person's ``pid`` is
    the position in it), ``codes`` (sorted status codes; ``code`` is the position) and ``frame`` with
    ``pid`` (UInt32), ``week`` (Int32 index, :func:`week_index`) and ``code`` (UInt16), one row per
    person and week, sorted by pid and week. Integers rather than strings keep a national panel
    (31 million rows) at about 300 MB and make sorting, merging and spells cheap."""

    persons: pl.Series
    codes: tuple[str, ...]
    frame: pl.DataFrame

    @classmethod
    def empty(cls) -> Panel:
        return cls(
            pl.Series("person", [], pl.String),
            (),
            pl.DataFrame(schema={"pid": pl.UInt32, "week": pl.Int32, "code": pl.UInt16}),
        )

    @property
    def rows(self) -> int:
        return self.frame.height

    @property
    def first_week(self) -> int | None:
        return None if self.frame.is_empty() else int(self.frame["week"].min())  # type: ignore[arg-type]

    @property
    def last_week(self) -> int | None:
        return None if self.frame.is_empty() else int(self.frame["week"].max())  # type: ignore[arg-type]

    def to_parquet(self) -> tuple[bytes, bytes]:
        """(persons, frame) as Parquet bytes; the codes travel separately (a list of strings)."""
        persons, frame = io.BytesIO(), io.BytesIO()
        self.persons.to_frame("person").write_parquet(persons)
        self.frame.write_parquet(frame)
        return persons.getvalue(), frame.getvalue()

    @classmethod
    def from_parquet(cls, persons: bytes, frame: bytes, codes: Iterable[str]) -> Panel:
        return cls(pl.read_parquet(io.BytesIO(persons))["person"], tuple(codes), pl.read_parquet(io.BytesIO(frame)))

    def with_persons(self) -> pl.DataFrame:
        """``person`` (pseudonym), ``week``, ``code`` as strings: for small panels and tests."""
        if self.frame.is_empty():  # replace_strict with an empty mapping keeps the integer dtype
            return pl.DataFrame(schema={"person": pl.String, "week": pl.Int32, "code": pl.String})
        return self.frame.select(
            pl.col("pid")
            .replace_strict(list(range(len(self.persons))), self.persons.to_list(), return_dtype=pl.String)
            .alias("person"),
            "week",
            pl.col("code").replace_strict(list(range(len(self.codes))), list(self.codes), return_dtype=pl.String),
        )

    def categorised(self, mapping: StatusMapping) -> pl.DataFrame:
        """``person`` (= pid), ``week``, ``category`` for :func:`jobtro.stats.spells.first_event`.

        Raises
        ------
        KeyError
            Listing stored codes the mapping no longer knows (a mapping changed after the import).
        """
        unknown = mapping.unknown_codes(self.codes)
        if unknown:
            raise KeyError(unknown)
        if self.frame.is_empty():  # as in with_persons
            return pl.DataFrame(schema={"person": pl.UInt32, "week": pl.Int32, "category": pl.String})
        return self.frame.select(
            pl.col("pid").alias("person"),
            "week",
            pl.col("code")
            .replace_strict(list(range(len(self.codes))), [mapping[c] for c in self.codes], return_dtype=pl.String)
            .alias("category"),
        )


@dataclass(frozen=True)
class StatusExtract:
    """A checked weekly status file: its :class:`Panel` and where it came from."""

    panel: Panel
    rows: int
    format: str
    identified_by: str  # "cpr" or "pseudonym"


def read_status(
    data: bytes,
    mapping: StatusMapping,
    pseudonymise: Callable[[str], str],
    *,
    progress: Callable[[str], None] | None = None,
) -> StatusExtract:
    """Read and check a weekly status file (see the module docstring).

    Parameters
    ----------
    data : bytes
        The file (CSV, Parquet or XLSX).
    mapping : StatusMapping
        The project's code mapping; codes it does not know are problems.
    pseudonymise : callable
        CPR number (10 digits) -> pseudonym; called once per distinct person.
    progress : callable, optional
        Called with the name of each step as it starts (``read``, ``check``, ``link``, ``sort``).

    Raises
    ------
    Problems
        With every problem in the file; nothing is returned unless the whole file is valid.
    """
    step = progress or (lambda _name: None)
    step("read")
    raw = read_table(data)
    if raw.frame.is_empty():
        raise _file_problem("empty")
    cols = _match(raw, STATUS_HEADINGS, ("code",))
    step("check")
    frame = _restore_xlsx_cpr(raw, cols.found["cpr"]) if "cpr" in cols.found else raw.frame
    person_column, persons, person_problems = _person_keys(frame, cols, pseudonymise)
    week_columns, weeks, week_problems = _week_keys(frame, cols)
    code_column, code_heading = cols.found["code"], cols.headings["code"]
    codes: dict[str, str] = {}
    bad_codes: dict[str, str] = {}
    for raw_code in _distinct(frame, code_column):
        code = raw_code.strip()
        if not code:
            bad_codes[raw_code] = "blank"
        elif code in mapping:
            codes[raw_code] = code
        else:
            bad_codes[raw_code] = "unknown_code"
    problems = [person_problems, week_problems]
    blank_codes = {k: v for k, v in bad_codes.items() if v == "blank"}
    problems.append(_problem_rows(frame, code_column, code_heading, blank_codes))
    unknown = [k for k, v in bad_codes.items() if v == "unknown_code"]
    if unknown:
        # One problem per unknown code (first row, number of rows): the list a mapping needs.
        problems.append(
            frame.filter(pl.col(code_column).is_in(unknown))
            .group_by(pl.col(code_column).str.strip_chars().alias("value"))  # " X1" and "X1" are one code
            .agg(pl.col("__row").min().alias("row"), pl.len().cast(pl.Int64).alias("count"))
            .select("row", pl.lit(code_heading).alias("column"), "value", pl.lit("unknown_code").alias("code"), "count")
        )
    step("link")
    sorted_persons = sorted(set(persons.values()))
    pid_of = {p: i for i, p in enumerate(sorted_persons)}
    person_table = pl.DataFrame(
        {person_column: list(persons), "pid": [pid_of[p] for p in persons.values()]},
        schema={person_column: pl.String, "pid": pl.UInt32},
    )
    sorted_codes = sorted(set(codes.values()))
    code_of = {c: i for i, c in enumerate(sorted_codes)}
    code_table = pl.DataFrame(
        {code_column: list(codes), "code": [code_of[c] for c in codes.values()]},
        schema={code_column: pl.String, "code": pl.UInt16},
    )
    selected = list(dict.fromkeys(["__row", person_column, *week_columns, code_column]))
    # Lazily, so the string columns are dropped as soon as each is joined (half the peak memory); in file
    # order, so a file sorted by person and week needs only the cheap sort below.
    linked = (
        frame.lazy()
        .select(selected)
        .join(person_table.lazy(), on=person_column, how="left", maintain_order="left")
        .join(weeks.lazy(), on=week_columns, how="left", maintain_order="left")
        .join(code_table.lazy(), on=code_column, how="left", maintain_order="left")
        .select("__row", "pid", "week", "code")
        .collect()
    )
    step("sort")
    linked = _sort_by_person_and_week(linked)
    # Rows with a bad value have null keys and never count as repeats (null == null is not true).
    problems.append(_repeats(linked, ("pid", "week"), frame, cols, person_column, "duplicate"))
    _raise_if(problems)
    panel = Panel(pl.Series("person", sorted_persons, pl.String), tuple(sorted_codes), linked.drop("__row"))
    return StatusExtract(panel, raw.frame.height, raw.format, "cpr" if "cpr" in cols.found else "pseudonym")


# --- merging --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeCounts:
    """What a new extract did to the stored panel: person-weeks ``added`` (new), ``changed`` (same
    person and week, another code) and ``unchanged``."""

    added: int
    changed: int
    unchanged: int

    @property
    def noop(self) -> bool:
        return self.added == 0 and self.changed == 0


def _remap(old: pl.Series, union: pl.Series) -> np.ndarray:
    """Position in ``union`` of each value of ``old`` (both sorted; every value of old is in union)."""
    return np.searchsorted(union.to_numpy(), old.to_numpy()).astype(np.uint32)


_WEEK_OFFSET = 2**31  # keys pack (pid, week) into one uint64: pid * 2**32 + week + 2**31


def _keys(pid: np.ndarray, week: np.ndarray) -> np.ndarray:
    return pid.astype(np.uint64) * np.uint64(2**32) + (week.astype(np.int64) + _WEEK_OFFSET).astype(np.uint64)


def merge_status(stored: Panel | None, extract: Panel) -> tuple[Panel, MergeCounts]:
    """The panel after ``extract`` replaces the stored person-weeks it overlaps.

    Person-weeks only in the stored panel are kept: a later extract covering fewer persons or weeks
    does not erase anything. Re-merging the same extract changes nothing (``noop``).
    """
    if stored is None or stored.rows == 0:
        return extract, MergeCounts(extract.rows, 0, 0)
    if stored.codes == extract.codes and stored.persons.equals(extract.persons) and stored.frame.equals(extract.frame):
        return stored, MergeCounts(0, 0, extract.rows)  # the same panel again (a re-export): cheap to see
    persons = pl.concat([stored.persons, extract.persons]).unique().sort()
    codes = tuple(sorted(set(stored.codes) | set(extract.codes)))
    code_index = np.array([codes.index(c) for c in stored.codes] or [0], dtype=np.uint16)
    new_code_index = np.array([codes.index(c) for c in extract.codes] or [0], dtype=np.uint16)
    s_pid = _remap(stored.persons, persons)[stored.frame["pid"].to_numpy()]
    e_pid = _remap(extract.persons, persons)[extract.frame["pid"].to_numpy()]
    s_code = code_index[stored.frame["code"].to_numpy()]
    e_code = new_code_index[extract.frame["code"].to_numpy()]
    # Both key arrays are sorted: the pid remapping is monotonic and each frame is sorted by (pid, week).
    s_key = _keys(s_pid, stored.frame["week"].to_numpy())
    e_key = _keys(e_pid, extract.frame["week"].to_numpy())
    position = np.searchsorted(s_key, e_key)
    inside = position < len(s_key)
    found = np.zeros(len(e_key), dtype=bool)
    found[inside] = s_key[position[inside]] == e_key[inside]
    changed_mask = np.zeros(len(e_key), dtype=bool)
    changed_mask[found] = s_code[position[found]] != e_code[found]
    added, changed = int((~found).sum()), int(changed_mask.sum())
    counts = MergeCounts(added, changed, len(e_key) - added - changed)
    if counts.noop:
        return stored, counts
    keep = np.ones(len(s_key), dtype=bool)
    keep[position[found]] = False
    merged = pl.DataFrame(
        {
            "key": np.concatenate([s_key[keep], e_key]),
            "code": np.concatenate([s_code[keep], e_code]),
        }
    ).sort("key")
    key = merged["key"].to_numpy()
    frame = pl.DataFrame(
        {
            "pid": (key >> np.uint64(32)).astype(np.uint32),
            "week": ((key & np.uint64(2**32 - 1)).astype(np.int64) - _WEEK_OFFSET).astype(np.int32),
            "code": merged["code"].to_numpy(),
        }
    )
    return Panel(persons, codes, frame), counts


# --- events ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventExtract:
    """A checked event file: ``frame`` with ``person`` (pseudonym), ``kind`` (``job``/``education``),
    ``date`` and ``week`` (its index), one row per person, kind and date, sorted."""

    frame: pl.DataFrame
    rows: int
    format: str
    identified_by: str


EVENT_SCHEMA: Final = {"person": pl.String, "kind": pl.String, "date": pl.Date, "week": pl.Int32}


def read_events(
    data: bytes, pseudonymise: Callable[[str], str], *, progress: Callable[[str], None] | None = None
) -> EventExtract:
    """Read and check an event file (person, kind of event, start date); see the module docstring.

    Raises
    ------
    Problems
        With every problem in the file.
    """
    step = progress or (lambda _name: None)
    step("read")
    raw = read_table(data)
    if raw.frame.is_empty():
        raise _file_problem("empty")
    cols = _match(raw, EVENT_HEADINGS, ("event", "date"))
    step("check")
    frame = _restore_xlsx_cpr(raw, cols.found["cpr"]) if "cpr" in cols.found else raw.frame
    person_column, persons, person_problems = _person_keys(frame, cols, pseudonymise)
    kind_column, date_column = cols.found["event"], cols.found["date"]
    kinds: dict[str, str] = {}
    bad_kinds: dict[str, str] = {}
    for raw_kind in _distinct(frame, kind_column):
        kind = EVENT_KINDS.get(tabular.normalise_heading(raw_kind))
        if kind is None:
            bad_kinds[raw_kind] = "blank" if not raw_kind.strip() else "event"
        else:
            kinds[raw_kind] = kind
    dates: dict[str, date] = {}
    bad_dates: dict[str, str] = {}
    for raw_date in _distinct(frame, date_column):
        if not raw_date.strip():
            bad_dates[raw_date] = "blank"
            continue
        try:
            dates[raw_date] = tabular.parse_date(raw_date)
        except tabular.DateError:
            bad_dates[raw_date] = "date"
    problems = [
        person_problems,
        _problem_rows(frame, kind_column, cols.headings["event"], bad_kinds),
        _problem_rows(frame, date_column, cols.headings["date"], bad_dates),
    ]
    step("link")
    tables = [
        pl.DataFrame(
            {person_column: list(persons), "person": list(persons.values())},
            schema={person_column: pl.String, "person": pl.String},
        ),
        pl.DataFrame(
            {kind_column: list(kinds), "kind": list(kinds.values())}, schema={kind_column: pl.String, "kind": pl.String}
        ),
        pl.DataFrame(
            {date_column: list(dates), "date": list(dates.values())}, schema={date_column: pl.String, "date": pl.Date}
        ),
    ]
    linked = frame.select("__row", person_column, kind_column, date_column)
    for table, column in zip(tables, (person_column, kind_column, date_column), strict=True):
        linked = linked.join(table, on=column, how="left")
    linked = linked.select(
        "__row",
        "person",
        "kind",
        "date",
        ((pl.col("date") - pl.lit(WEEK_EPOCH)).dt.total_days() // 7).cast(pl.Int32).alias("week"),
    ).sort("person", "date", "kind", "__row")
    problems.append(_repeats(linked, ("person", "kind", "date"), frame, cols, person_column, "duplicate_event"))
    _raise_if(problems)
    return EventExtract(
        linked.drop("__row"), raw.frame.height, raw.format, "cpr" if "cpr" in cols.found else "pseudonym"
    )


@dataclass(frozen=True)
class EventCounts:
    """What a new event extract did: events ``added``, ``removed`` (stored events in the period the new
    extract covers that it no longer has) and ``unchanged``."""

    added: int
    removed: int
    unchanged: int

    @property
    def noop(self) -> bool:
        return self.added == 0 and self.removed == 0


def merge_events(
    stored: pl.DataFrame | None, extract: pl.DataFrame, *, start: date, until: date
) -> tuple[pl.DataFrame, EventCounts]:
    """The stored events after an extract that covers ``start`` .. ``until`` (inclusive).

    An event extract is taken to be *complete for its period*: stored events dated inside the period
    are replaced by the extract's (so a corrected or withdrawn event disappears), stored events outside
    it are kept. Events of the extract outside the period are an error of the caller (checked by
    :func:`events_outside`).
    """
    new = extract.select(list(EVENT_SCHEMA)).unique().sort("person", "date", "kind")
    if stored is None or stored.is_empty():
        return new, EventCounts(new.height, 0, 0)
    inside = pl.col("date").is_between(pl.lit(start), pl.lit(until))
    old_inside = stored.filter(inside)
    keys = ["person", "kind", "date"]
    added = new.join(old_inside, on=keys, how="anti").height
    removed = old_inside.join(new, on=keys, how="anti").height
    counts = EventCounts(added, removed, new.height - added)
    if counts.noop:
        return stored, counts
    merged = pl.concat([stored.filter(~inside), new]).sort("person", "date", "kind")
    return merged, counts


def events_outside(extract: pl.DataFrame, *, start: date, until: date) -> pl.DataFrame:
    """Events dated outside the period an extract says it covers."""
    return extract.filter(~pl.col("date").is_between(pl.lit(start), pl.lit(until)))
