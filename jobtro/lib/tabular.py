"""Reading tables as people really produce them - CSV from Excel and case systems, and XLSX - into
rows of strings with the row numbers a person sees in a spreadsheet; matching headings against
Danish/English aliases; and reading the date forms found in Danish files. Pure: no Django.

What is accepted
----------------
- Encodings: UTF-8 with or without a byte-order mark; Windows-1252 (Excel's "CSV" on a Danish
  Windows); UTF-16 with a byte-order mark (Excel's "Unicode text"). UTF-8 is tried first and strictly:
  Danish text in Windows-1252 is never valid UTF-8 (``æ`` is the lone byte 0xE6), so the fallback
  only misreads text that already looks like mojibake (``Ã¦`` written in Windows-1252).
- Delimiters: semicolon (Danish Excel), comma or tab, sniffed from the heading line - whichever
  splits it into the most fields. An Excel ``sep=;`` first line is honoured and not counted as a row.
- Quoted fields (with the delimiter, quotes or line breaks inside), trailing empty lines and rows,
  and trailing delimiters.
- XLSX: the first sheet, read-only. Date cells become ISO dates; whole numbers lose their ``.0``.
  Cells that were *numbers* are flagged (:attr:`Row.numeric`), because a number cannot keep a
  leading zero: a CPR number typed into a number-formatted column as 0101901234 comes back as
  101901235-like 9 digits. :func:`restore_leading_zeros` puts the zero back - only for such cells,
  never for text, where a missing digit is a typo that must be reported.

Row numbers are 1-based and count every line a spreadsheet program shows, blank ones included, so
"row 7" in an error message is row 7 in Excel. A quoted field with a line break is one row there
(and here), even though it spans two lines in a text editor.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

DELIMITERS = (";", ",", "\t")
"""Candidate delimiters, in order of preference when the heading line does not decide."""

MAX_ROWS = 100_000
"""Default ceiling on data rows: far above any municipality's caseload, low enough that a wrong or
hostile file cannot exhaust memory."""

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and .doc) container
_SEP_LINE = re.compile(r"sep=([^\r\n])[ \t]*(?:\r\n|\r|\n|$)", re.IGNORECASE)
_LINE = re.compile(r"[^\r\n]+")


class TabularError(ValueError):
    """The file cannot be read as a table at all.

    Parameters
    ----------
    code : str
        Stable key for programs and translations: ``"empty"``, ``"encoding"``, ``"xls"``, ``"xlsx"``,
        ``"quotes"`` (a CSV quote not closed, or text after a closing quote) or ``"too_many_rows"``.
    reason : str
        Short English reason.
    row : int or None
        The row where reading failed, when there is one.
    """

    def __init__(self, code: str, reason: str, row: int | None = None) -> None:
        super().__init__(reason if row is None else f"row {row}: {reason}")
        self.code = code
        self.reason = reason
        self.row = row


@dataclass(frozen=True)
class Row:
    """One row as read.

    Attributes
    ----------
    number : int
        1-based row number as a spreadsheet program shows it.
    cells : tuple of str
        The cells as text, untrimmed; a row may be shorter or longer than the heading row.
    numeric : frozenset of int
        Indices of cells that were numbers in an XLSX sheet (always empty for CSV).
    """

    number: int
    cells: tuple[str, ...]
    numeric: frozenset[int] = field(default_factory=frozenset)

    def get(self, index: int) -> str:
        return self.cells[index] if index < len(self.cells) else ""

    @property
    def blank(self) -> bool:
        return all(not c.strip() for c in self.cells)


@dataclass(frozen=True)
class Table:
    """A heading row and the data rows under it (blank rows left out).

    Attributes
    ----------
    format : str
        ``"csv"`` or ``"xlsx"``.
    encoding : str or None
        For CSV: ``"utf-8"``, ``"utf-8-sig"`` (with BOM), ``"utf-16"`` or ``"cp1252"``.
    delimiter : str or None
        For CSV: the delimiter used.
    """

    header: Row
    rows: tuple[Row, ...]
    format: str
    encoding: str | None = None
    delimiter: str | None = None


def read(data: bytes, *, max_rows: int = MAX_ROWS) -> Table:
    """Read CSV or XLSX bytes (told apart by content, not by file name).

    Raises
    ------
    TabularError
        If the bytes are empty, an old .xls, a damaged XLSX, not text in a supported encoding, or
        have more than ``max_rows`` data rows.
    """
    if data.startswith(_ZIP_MAGIC):
        return read_xlsx(data, max_rows=max_rows)
    if data.startswith(_OLE_MAGIC):
        raise TabularError("xls", "old Excel (.xls) files cannot be read; save as .xlsx or CSV")
    return read_csv(data, max_rows=max_rows)


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with (see the module docstring for the order)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise TabularError("encoding", "the file claims UTF-16 but is not") from None
    try:
        text = data.decode("utf-8-sig")
        encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            # Five byte values are undefined in Windows-1252: this is not a text file.
            raise TabularError("encoding", "not text in UTF-8 or Windows-1252") from None
    if "\x00" in text:
        raise TabularError("encoding", "not a text file (it contains NUL characters)")
    return text, encoding


def sniff_delimiter(line: str) -> str:
    """The delimiter that splits a heading line into the most fields (quotes respected)."""
    best, most = DELIMITERS[0], 1
    for delimiter in DELIMITERS:
        fields = next(csv.reader([line], delimiter=delimiter), [])
        if len(fields) > most:
            best, most = delimiter, len(fields)
    return best if most > 1 else ","


def read_csv(data: bytes, *, max_rows: int = MAX_ROWS) -> Table:
    text, encoding = decode(data)
    if sep := _SEP_LINE.match(text):
        # Excel's own hint line; Excel hides it, so it does not count as a row either.
        delimiter, text = sep.group(1), text[sep.end() :]
    else:
        heading = next((m.group() for m in _LINE.finditer(text) if m.group().strip()), "")
        delimiter = sniff_delimiter(heading)
    header, body = _split(_csv_rows(text, delimiter), max_rows)
    return Table(header=header, rows=body, format="csv", encoding=encoding, delimiter=delimiter)


def _csv_rows(text: str, delimiter: str) -> Iterator[Row]:
    # strict: a quote that is never closed would otherwise swallow the rest of the file into one cell
    # without a word; better to name the row where it went wrong.
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=True)
    number = 0
    try:
        for number, cells in enumerate(records, start=1):
            yield Row(number, tuple(cells))
    except csv.Error:
        raise TabularError("quotes", "a quoted value is not closed properly", row=number + 1) from None


def read_xlsx(data: bytes, *, max_rows: int = MAX_ROWS) -> Table:
    # Imported here: openpyxl is heavy, and CSV users should not pay for it.
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises a zoo (BadZipFile, KeyError, InvalidFileException, ...)
        raise TabularError("xlsx", f"the XLSX file cannot be opened ({type(exc).__name__})") from None
    try:
        if not book.worksheets:
            raise TabularError("empty", "the workbook has no sheets")
        sheet = book.worksheets[0]
        # Some generators write a wrong dimension (e.g. "A1"); without it openpyxl reads every row.
        sheet.reset_dimensions()
        values = sheet.iter_rows(min_row=1, values_only=True)
        rows = (_xlsx_row(number, cells) for number, cells in enumerate(values, start=1))
        header, body = _split(rows, max_rows)
    finally:
        book.close()
    return Table(header=header, rows=body, format="xlsx")


def _xlsx_row(number: int, values: Sequence[object]) -> Row:
    cells, numeric = [], set()
    for index, value in enumerate(values):
        cells.append(_cell_text(value))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            numeric.add(index)
    return Row(number, tuple(cells), frozenset(numeric))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _split(rows: Iterable[Row], max_rows: int) -> tuple[Row, tuple[Row, ...]]:
    """The first non-blank row is the heading; blank rows after it are left out."""
    it: Iterator[Row] = iter(rows)
    header = next((r for r in it if not r.blank), None)
    if header is None:
        raise TabularError("empty", "the file has no rows")
    body: list[Row] = []
    for row in it:
        if row.blank:
            continue
        if len(body) >= max_rows:
            raise TabularError("too_many_rows", f"more than {max_rows} rows")
        body.append(row)
    return header, tuple(body)


def column_letter(index: int) -> str:
    """The spreadsheet column name for a 0-based index: 0 -> "A", 25 -> "Z", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


# --- headings ------------------------------------------------------------------------------------

_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})


def normalise_heading(text: str) -> str:
    """A heading reduced to what identifies it: case, spacing, punctuation and the Danish letters'
    ASCII spellings do not matter ("CPR-nr." == "cpr nr" == "cprnr", "Målgruppe" == "maalgruppe")."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    return "".join(ch for ch in folded if ch.isalnum())


@dataclass(frozen=True)
class HeadingMatch:
    """How a heading row maps onto the wanted columns.

    Attributes
    ----------
    columns : dict of str to int
        Column key -> index of the (first) cell whose heading matched it.
    missing : list of str
        Keys no heading matched.
    unknown : list of int
        Indices of non-empty headings that matched no key.
    repeated : list of (int, int)
        (index, index of the first match) for a second heading matching a key already matched.
    unnamed : list of int
        Indices with an empty heading.
    """

    columns: dict[str, int]
    missing: list[str]
    unknown: list[int]
    repeated: list[tuple[int, int]]
    unnamed: list[int]


def match_headings(header: Sequence[str], aliases: Mapping[str, Iterable[str]]) -> HeadingMatch:
    """Match a heading row against ``aliases`` (key -> accepted headings, see :func:`normalise_heading`)."""
    lookup: dict[str, str] = {}
    for key, names in aliases.items():
        for name in (key, *names):
            lookup.setdefault(normalise_heading(name), key)
    columns: dict[str, int] = {}
    unknown: list[int] = []
    unnamed: list[int] = []
    repeated: list[tuple[int, int]] = []
    for index, heading in enumerate(header):
        wanted = normalise_heading(heading)
        found = lookup.get(wanted)
        if not wanted:
            unnamed.append(index)
        elif found is None:
            unknown.append(index)
        elif found in columns:
            repeated.append((index, columns[found]))
        else:
            columns[found] = index
    missing = [key for key in aliases if key not in columns]
    return HeadingMatch(columns=columns, missing=missing, unknown=unknown, repeated=repeated, unnamed=unnamed)


# --- values --------------------------------------------------------------------------------------


def restore_leading_zeros(text: str, width: int) -> str:
    """Give a number read from a number-formatted spreadsheet cell back the leading zeros the number
    format dropped: all digits and shorter than ``width`` -> zero-padded. Anything else unchanged."""
    digits = text.strip()
    if digits.isascii() and digits.isdigit() and len(digits) < width:
        return digits.zfill(width)
    return text


class DateError(ValueError):
    """The text is not a date in an accepted form.

    Parameters
    ----------
    code : str
        ``"format"`` (not a date form we read), ``"two_digit_year"`` (ambiguous: 25 may be 1925 or
        2025) or ``"no_such_date"`` (e.g. 31-02-2025).
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


# Day first, as Danes write it: dd-mm-yyyy, dd.mm.yyyy, dd/mm/yyyy (one separator throughout; one- or
# two-digit day and month). ASCII digits only, for the reason given in jobtro.lib.cpr.
_DAY_FIRST = re.compile(r"([0-9]{1,2})([-./])([0-9]{1,2})\2([0-9]+)")
# Year first: ISO yyyy-mm-dd (also with . or /), optionally with a time as spreadsheets and databases
# write it ("2025-01-06 00:00:00", "2025-01-06T08:30"); the time is not part of the date and is ignored.
_YEAR_FIRST = re.compile(
    r"([0-9]{4})([-./])([0-9]{1,2})\2([0-9]{1,2})(?:[T ][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
)


def parse_date(text: str) -> date:
    """Read dd-mm-yyyy, dd.mm.yyyy, dd/mm/yyyy or yyyy-mm-dd (surrounding whitespace ignored).

    A two-digit year is refused rather than guessed: "06-01-25" is 2025 to a caseworker but the
    birth year 1925 for a CPR-style reading, and a wrong guess would pass silently.

    Raises
    ------
    DateError
        With ``code`` ``"format"``, ``"two_digit_year"`` or ``"no_such_date"``.
    """
    value = text.strip()
    if m := _YEAR_FIRST.fullmatch(value):
        year, month, day = int(m.group(1)), int(m.group(3)), int(m.group(4))
    elif m := _DAY_FIRST.fullmatch(value):
        day, month, digits = int(m.group(1)), int(m.group(3)), m.group(4)
        if len(digits) == 2:
            raise DateError("two_digit_year", "two-digit year is ambiguous; write four digits")
        if len(digits) != 4:
            raise DateError("format", "expected dd-mm-yyyy, dd.mm.yyyy, dd/mm/yyyy or yyyy-mm-dd")
        year = int(digits)
    else:
        raise DateError("format", "expected dd-mm-yyyy, dd.mm.yyyy, dd/mm/yyyy or yyyy-mm-dd")
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError("no_such_date", "day or month out of range") from None
