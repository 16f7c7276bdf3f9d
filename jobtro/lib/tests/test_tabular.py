"""Tests for jobtro.lib.tabular: files as municipal staff really produce them, and Danish dates."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from datetime import date, datetime

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from openpyxl import Workbook

from jobtro.lib.tabular import (
    DateError,
    TabularError,
    column_letter,
    decode,
    match_headings,
    normalise_heading,
    parse_date,
    read,
    restore_leading_zeros,
    sniff_delimiter,
)

HEADER = ["CPR-nummer", "Navn", "Sagsbehandler", "Målgruppe", "Forløbsstart"]
ROWS = [
    ["120385-0006", "Søren Ærø Åberg", "caseworker_a", "aktivitetsparat kontanthjælpsmodtager", "2025-01-06"],
    ["0211900059", "Bjørn Æbelø", "caseworker_b", "", "2024-11-30"],
]
ENCODINGS = {"utf-8": b"", "utf-8-sig": codecs.BOM_UTF8, "cp1252": b""}
DATE_FORMS = {"dd-mm-yyyy": "%d-%m-%Y", "dd.mm.yyyy": "%d.%m.%Y", "dd/mm/yyyy": "%d/%m/%Y", "iso": "%Y-%m-%d"}


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ";", newline: str = "\r\n") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    # utf-8-sig writes the BOM itself; the others get none.
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- encodings x delimiters x date forms -----------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("form", DATE_FORMS)
def test_it_reads_each_encoding_delimiter_and_date_form(encoding: str, delimiter: str, form: str) -> None:
    started = [date(2025, 1, 6), date(2024, 11, 30)]
    rows = [HEADER] + [[*r[:4], d.strftime(DATE_FORMS[form])] for r, d in zip(ROWS, started, strict=True)]
    data = csv_bytes(rows, encoding=encoding, delimiter=delimiter)
    assert data.startswith(codecs.BOM_UTF8) == (encoding == "utf-8-sig")

    table = read(data)

    assert table.format == "csv"
    assert table.encoding == encoding
    assert table.delimiter == delimiter
    assert list(table.header.cells) == HEADER
    assert [r.number for r in table.rows] == [2, 3]
    assert [list(r.cells[:4]) for r in table.rows] == [r[:4] for r in ROWS]
    assert [parse_date(r.cells[4]) for r in table.rows] == started


def test_it_reads_windows_1252_danish_letters_that_are_not_utf8() -> None:
    data = "navn;by\r\nÆble Østergård;Århus\r\n".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    table = read(data)
    assert table.encoding == "cp1252"
    assert table.rows[0].cells == ("Æble Østergård", "Århus")


def test_it_reads_utf16_unicode_text_from_excel() -> None:
    data = codecs.BOM_UTF16_LE + "cpr\tnavn\r\n0211900059\tÅse\r\n".encode("utf-16-le")
    table = read(data)
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table.rows[0].cells == ("0211900059", "Åse")


def test_it_reads_tabs() -> None:
    table = read(b"cpr\tnavn\n0211900059\tAnna, Hansen; jr.\n")
    assert table.delimiter == "\t"
    assert table.rows[0].cells == ("0211900059", "Anna, Hansen; jr.")


def test_it_reads_quoted_fields_with_delimiters_quotes_and_line_breaks() -> None:
    data = b'navn;note\r\n"Hansen; Anna";"sagt ""ja""\r\nog mere"\r\nBo;x\r\n'
    table = read(data)
    assert table.rows[0].cells == ("Hansen; Anna", 'sagt "ja"\r\nog mere')
    # A quoted line break is one row in Excel, and so here: Bo is in row 3, not 4.
    assert [r.number for r in table.rows] == [2, 3]


def test_it_skips_blank_and_empty_rows_but_keeps_excels_row_numbers() -> None:
    data = b"cpr;navn\n\n0211900059;Anna\n;;\n   ;\n3006780058;Bo\n\n\n"
    table = read(data)
    assert [(r.number, r.cells[1]) for r in table.rows] == [(3, "Anna"), (6, "Bo")]


def test_it_sniffs_the_delimiter_from_the_heading_not_the_data() -> None:
    # The data is full of commas; the heading decides.
    table = read(b"cpr;navn;note\n0211900059;Hansen, Anna;a,b,c,d,e\n")
    assert table.delimiter == ";"
    assert table.rows[0].cells == ("0211900059", "Hansen, Anna", "a,b,c,d,e")
    assert sniff_delimiter('"navn; fulde",cpr') == ","
    assert sniff_delimiter("cpr") == ","


def test_it_honours_excels_sep_line_and_does_not_count_it() -> None:
    table = read(b"sep=,\r\ncpr;x,navn\r\n0211900059;y,Anna\r\n")
    assert table.delimiter == ","
    assert table.header.cells == ("cpr;x", "navn")
    assert table.header.number == 1
    assert table.rows[0].number == 2


def test_it_finds_the_heading_after_leading_blank_lines() -> None:
    table = read(b"\r\n\r\ncpr;navn\r\n0211900059;Anna\r\n")
    assert table.header.number == 3
    assert table.delimiter == ";"


def test_it_handles_old_mac_line_endings() -> None:
    table = read(b"cpr;navn\r0211900059;Anna\r")
    assert table.rows[0].cells == ("0211900059", "Anna")


def test_it_names_the_row_of_an_unclosed_quote() -> None:
    with pytest.raises(TabularError) as caught:
        read(b'cpr;navn\n0211900059;Anna\n3006780058;"Bo\n0302880069;Carl\n')
    assert caught.value.code == "quotes"
    assert caught.value.row == 3


def test_it_refuses_empty_files_and_files_that_are_not_text() -> None:
    for data in (b"", b"\r\n \r\n;;\r\n"):
        with pytest.raises(TabularError) as caught:
            read(data)
        assert caught.value.code == "empty"
    with pytest.raises(TabularError) as caught:
        read(b"cpr\x00navn")
    assert caught.value.code == "encoding"
    with pytest.raises(TabularError) as caught:
        read(b"cpr\x81\x8d\x8f")  # undefined in Windows-1252 and invalid UTF-8
    assert caught.value.code == "encoding"


def test_it_refuses_more_rows_than_allowed() -> None:
    data = b"cpr\n" + b"x\n" * 11
    assert len(read(data, max_rows=11).rows) == 11
    with pytest.raises(TabularError) as caught:
        read(data, max_rows=10)
    assert caught.value.code == "too_many_rows"


def test_decode_prefers_utf8() -> None:
    assert decode("Åse".encode()) == ("Åse", "utf-8")
    assert decode(codecs.BOM_UTF8 + "Åse".encode()) == ("Åse", "utf-8-sig")
    assert decode("Åse".encode("cp1252")) == ("Åse", "cp1252")


# --- XLSX ----------------------------------------------------------------------------------------


def test_it_reads_the_first_sheet_of_an_xlsx_file() -> None:
    data = xlsx_bytes(
        [
            HEADER,
            [211900059, "Bjørn Æbelø", "caseworker_b", None, datetime(2024, 11, 30)],
            [],
            ["120385-0006", "Søren", "caseworker_a", "aktivitetsparat", date(2025, 1, 6)],
            [1203850006.0, "Tal", "x", 12.5, "06-01-2025"],
            [datetime(2025, 1, 6, 8, 30), None, None, None, None],
        ]
    )
    table = read(data)
    assert table.format == "xlsx"
    assert list(table.header.cells) == HEADER
    rows = {r.number: r for r in table.rows}
    assert sorted(rows) == [2, 4, 5, 6]
    assert rows[2].cells == ("211900059", "Bjørn Æbelø", "caseworker_b", "", "2024-11-30")
    assert rows[2].numeric == frozenset({0})
    assert rows[4].cells[0] == "120385-0006"
    assert rows[4].cells[4] == "2025-01-06"
    assert rows[4].numeric == frozenset()
    assert rows[5].cells[:4] == ("1203850006", "Tal", "x", "12.5")
    assert rows[5].numeric == frozenset({0, 3})
    assert rows[6].cells[0] == "2025-01-06 08:30:00"


def test_it_numbers_xlsx_rows_as_excel_does_when_the_sheet_starts_lower_down() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["B3"], sheet["C3"] = "cpr", "navn"
    sheet["B6"], sheet["C6"] = "0211900059", "Anna"
    out = io.BytesIO()
    book.save(out)
    table = read(out.getvalue())
    assert table.header.number == 3
    assert [(r.number, r.cells) for r in table.rows] == [(6, ("", "0211900059", "Anna"))]


def test_it_refuses_old_xls_and_damaged_xlsx_files() -> None:
    with pytest.raises(TabularError) as caught:
        read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert caught.value.code == "xls"
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    with pytest.raises(TabularError) as caught:
        read(damaged.getvalue())
    assert caught.value.code == "xlsx"
    with pytest.raises(TabularError) as caught:
        read(xlsx_bytes([[1, 2, 3]])[:200])
    assert caught.value.code == "xlsx"


def test_it_gives_a_numeric_cpr_its_leading_zero_back() -> None:
    assert restore_leading_zeros("211900059", 10) == "0211900059"
    assert restore_leading_zeros("1203850006", 10) == "1203850006"
    assert restore_leading_zeros("12038-0006", 10) == "12038-0006"
    assert restore_leading_zeros("", 10) == ""


# --- headings --------------------------------------------------------------------------------------

ALIASES = {
    "cpr": ("CPR-nummer", "cprnr", "personnummer"),
    "name": ("navn", "name"),
    "target_group": ("målgruppe", "target group"),
}


def test_it_matches_headings_whatever_their_case_spacing_and_punctuation() -> None:
    for heading in ("CPR", " cpr ", "CPR-nr.", "Cpr nr", "CPR_NUMMER", "cpr-nummer", "Personnummer"):
        assert match_headings([heading], ALIASES).columns == {"cpr": 0}, heading
    for heading in ("Målgruppe", "MAALGRUPPE", "målgruppe ", "Target Group", "target_group"):
        assert match_headings([heading], ALIASES).columns == {"target_group": 0}, heading
    assert normalise_heading("Forløbs-start") == "forloebsstart"


def test_it_reports_missing_unknown_repeated_and_unnamed_headings() -> None:
    match = match_headings(["Navn", "adresse", "", "name", "CPR"], ALIASES)
    assert match.columns == {"name": 0, "cpr": 4}
    assert match.missing == ["target_group"]
    assert match.unknown == [1]
    assert match.unnamed == [2]
    assert match.repeated == [(3, 0)]


def test_column_letters_are_excels() -> None:
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


# --- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("06-01-2025", date(2025, 1, 6)),
        ("6-1-2025", date(2025, 1, 6)),
        ("06.01.2025", date(2025, 1, 6)),
        ("6.1.2025", date(2025, 1, 6)),
        ("06/01/2025", date(2025, 1, 6)),
        ("2025-01-06", date(2025, 1, 6)),
        (" 2025-01-06 ", date(2025, 1, 6)),
        ("2025-01-06 00:00:00", date(2025, 1, 6)),
        ("2025-01-06T08:30", date(2025, 1, 6)),
        ("29-02-2024", date(2024, 2, 29)),
    ],
)
def test_it_reads_danish_and_iso_dates(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("06-01-25", "two_digit_year"),
        ("6.1.25", "two_digit_year"),
        ("06/01/25", "two_digit_year"),
        ("29-02-2025", "no_such_date"),
        ("31-04-2025", "no_such_date"),
        ("2025-13-01", "no_such_date"),
        ("01-13-2025", "no_such_date"),  # month first (US) is not read as such
        ("06-01.2025", "format"),  # mixed separators
        ("06-01-202", "format"),
        ("06-01-02025", "format"),
        ("6. januar 2025", "format"),
        ("45663", "format"),  # an Excel serial number from a cell not formatted as a date
        ("", "format"),
        ("٠٦-٠١-٢٠٢٥", "format"),  # non-ASCII digits
    ],
)
def test_it_refuses_what_is_not_a_date_with_a_reason(text: str, code: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(text)
    assert caught.value.code == code


dates = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))


@given(day=dates, separator=st.sampled_from("-./"), pad=st.booleans(), year_first=st.booleans())
def test_every_date_in_every_form_reads_back(day: date, separator: str, pad: bool, year_first: bool) -> None:
    d, m = (f"{day.day:02d}", f"{day.month:02d}") if pad else (str(day.day), str(day.month))
    text = (
        f"{day.year:04d}{separator}{m}{separator}{d}" if year_first else f"{d}{separator}{m}{separator}{day.year:04d}"
    )
    assert parse_date(text) == day


@given(day=dates, separator=st.sampled_from("-./"))
def test_a_two_digit_year_is_always_refused(day: date, separator: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(f"{day.day:02d}{separator}{day.month:02d}{separator}{day.year % 100:02d}")
    assert caught.value.code == "two_digit_year"


@given(st.text())
@example("99-99-9999")
@example("0000-00-00")
def test_any_text_is_a_date_or_a_date_error(text: str) -> None:
    try:
        result = parse_date(text)
    except DateError as exc:
        assert exc.code in {"format", "two_digit_year", "no_such_date"}
    else:
        assert isinstance(result, date)


# --- the encoding and delimiter round trip ---------------------------------------------------------

# Headings as people write them: letters (Danish ones too), digits, spaces and a little punctuation,
# never a delimiter (the heading line is what the delimiter is sniffed from).
heading_text = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzæøåABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅ0123456789 -.()"), min_size=1
).filter(lambda s: s.strip() and not s.lower().startswith("sep="))


def _round_trip(encoding: str, delimiter: str, header: list[str], body: list[list[str]]) -> None:
    data = csv_bytes([header, *body], encoding=encoding, delimiter=delimiter)
    if encoding == "cp1252":
        # Windows-1252 bytes that happen to be valid UTF-8 are read as UTF-8 (documented): only text
        # that already looks like mojibake ("Ã¦") does that, and it is not what this property is about.
        try:
            data.decode("utf-8")
            assume(data.isascii())
        except UnicodeDecodeError:
            pass
    table = read(data)
    assert table.delimiter == delimiter
    assert list(table.header.cells) == header
    assert [list(r.cells) for r in table.rows] == body


def _cells(codec: str) -> st.SearchStrategy[str]:
    # Anything a cell may hold in that encoding (delimiters, quotes, line breaks, æøå), except NUL.
    return st.text(st.characters(codec=codec, exclude_characters="\x00"), max_size=12)


def _tables(codec: str) -> st.SearchStrategy[tuple[list[str], list[list[str]]]]:
    def body(width: int) -> st.SearchStrategy[list[list[str]]]:
        row = st.lists(_cells(codec), min_size=width, max_size=width).filter(lambda r: any(c.strip() for c in r))
        return st.lists(row, max_size=6)

    return st.integers(min_value=2, max_value=5).flatmap(
        lambda width: st.tuples(
            st.lists(heading_text, min_size=width, max_size=width),
            body(width),
        )
    )


@given(table=_tables("utf-8"), delimiter=st.sampled_from([",", ";", "\t"]), bom=st.booleans())
def test_utf8_files_round_trip_with_any_delimiter(
    table: tuple[list[str], list[list[str]]], delimiter: str, bom: bool
) -> None:
    header, body = table
    _round_trip("utf-8-sig" if bom else "utf-8", delimiter, header, body)


@given(table=_tables("cp1252"), delimiter=st.sampled_from([",", ";", "\t"]))
def test_windows_1252_files_round_trip_with_any_delimiter(
    table: tuple[list[str], list[list[str]]], delimiter: str
) -> None:
    header, body = table
    _round_trip("cp1252", delimiter, header, body)
