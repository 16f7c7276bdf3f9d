"""Weekly status codes → outcome categories, as configuration. Pure: no Django.

An outcome register (DREAM, see ``DOMAIN.md``, "Outcome registers") gives one status code per person
per week. The analyses only need the *category* of each code:

``job``
    In ordinary employment or otherwise self-supporting (in DREAM: no transfer payment that week).
``education``
    In ordinary education (e.g. on SU).
``benefit_cash``
    Kontanthjælp (cash benefit).
``benefit_education``
    Uddannelseshjælp (cash benefit for young people without an education).
``benefit_sickness``
    Sygedagpenge (sickness benefit).
``benefit_unemployment``
    Dagpenge (unemployment insurance benefit).
``benefit_flex``
    Ledighedsydelse and other fleksjob-related payments.
``benefit_other``
    Any other public transfer.
``other``
    Known codes that are none of the above (emigrated, dead, ...) - only ever by explicit mapping.

The default mapping
-------------------
DREAM's real code list is **not shipped** with the platform, so :data:`DEFAULT_MAPPING` holds
*illustrative placeholder* codes - descriptive names, not DREAM's numeric codes. A project must
confirm or override them with its register's actual codes (:func:`load_mapping_csv` reads an override
file) before its outcomes mean anything. The defaults also contain the simulator's own codes
``benefit``, ``job`` and ``education`` (:mod:`jobtro.stats.simulate`), mapped to ``benefit_cash``,
``job`` and ``education``, so the simulated panel imports without configuration.

Codes are compared after stripping surrounding whitespace and are otherwise case-sensitive (register
codes are exact strings); category names are case-insensitive on input and stored in lower case.
A code not in the mapping is *unknown*: :meth:`StatusMapping.unknown_codes` lists them so an import
can stop - an unknown code is never silently ``other``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from jobtro.lib.tabular import sniff_delimiter

JOB: Final = "job"
EDUCATION: Final = "education"
BENEFIT_CATEGORIES: Final = (
    "benefit_cash",
    "benefit_education",
    "benefit_sickness",
    "benefit_unemployment",
    "benefit_flex",
    "benefit_other",
)
CATEGORIES: Final[tuple[str, ...]] = (JOB, EDUCATION, *BENEFIT_CATEGORIES, "other")
# The categories that end a spell (see jobtro.stats.spells): in job or in education.
IN_JOB_OR_EDUCATION: Final = frozenset({JOB, EDUCATION})

DEFAULT_MAPPING: Final[Mapping[str, str]] = {
    # The simulator's codes (jobtro.stats.simulate.STATUSES), so the simulated panel imports as is.
    "benefit": "benefit_cash",
    "job": JOB,
    "education": EDUCATION,
    # Illustrative placeholders - NOT DREAM's codes; a project must confirm or override these.
    "selvforsoergelse": JOB,
    "su": EDUCATION,
    "kontanthjaelp": "benefit_cash",
    "uddannelseshjaelp": "benefit_education",
    "sygedagpenge": "benefit_sickness",
    "dagpenge": "benefit_unemployment",
    "ledighedsydelse": "benefit_flex",
    "fleksjob": "benefit_flex",
    "foertidspension": "benefit_other",
    "ressourceforloeb": "benefit_other",
    "revalidering": "benefit_other",
}

# Headings accepted on the first row of a mapping file (normalised to lower case); a first row whose
# cells are not both headings is data.
_CODE_HEADINGS: Final = frozenset({"code", "kode", "status", "statuskode", "status_code"})
_CATEGORY_HEADINGS: Final = frozenset({"category", "kategori"})


@dataclass(frozen=True)
class MappingProblem:
    """One problem in a mapping.

    Attributes
    ----------
    row : int or None
        1-based row of the mapping file (as a spreadsheet shows it); ``None`` for an in-memory override.
    column : str
        ``"code"`` or ``"category"`` (or ``""`` when the whole row is wrong).
    value : str
        The offending text.
    why : str
        What is wrong, in words a data manager understands.
    """

    row: int | None
    column: str
    value: str
    why: str


class MappingError(ValueError):
    """A mapping (file or override) with problems; :attr:`problems` lists all of them."""

    def __init__(self, problems: list[MappingProblem]) -> None:
        self.problems = problems
        lines = "; ".join(
            f"{'row ' + str(p.row) + ' ' if p.row is not None else ''}{p.column} {p.value!r}: {p.why}" for p in problems
        )
        super().__init__(f"{len(problems)} problem(s) in the status code mapping: {lines}")


def _category_problem(category: str, row: int | None) -> MappingProblem | None:
    if category not in CATEGORIES:
        return MappingProblem(row, "category", category, f"unknown category; allowed: {', '.join(CATEGORIES)}")
    return None


class StatusMapping:
    """Status code → category: the defaults with per-project overrides on top.

    Parameters
    ----------
    overrides : Mapping[str, str], optional
        Codes to add or re-map (e.g. from :func:`load_mapping_csv`). An override replaces the default
        category of the same code; every category must be one of :data:`CATEGORIES`.
    defaults : Mapping[str, str], optional
        The base mapping; :data:`DEFAULT_MAPPING` unless given (pass ``{}`` to use only the overrides).

    Raises
    ------
    MappingError
        Listing every empty code and every category outside :data:`CATEGORIES`.
    """

    def __init__(
        self, overrides: Mapping[str, str] | None = None, *, defaults: Mapping[str, str] | None = None
    ) -> None:
        merged: dict[str, str] = {}
        problems: list[MappingProblem] = []
        for source in (DEFAULT_MAPPING if defaults is None else defaults, overrides or {}):
            for raw_code, raw_category in source.items():
                code, category = raw_code.strip(), raw_category.strip().lower()
                if not code:
                    problems.append(MappingProblem(None, "code", raw_code, "empty code"))
                    continue
                problem = _category_problem(category, None)
                if problem is not None:
                    problems.append(problem)
                    continue
                merged[code] = category
        if problems:
            raise MappingError(problems)
        self._mapping = merged

    def __getitem__(self, code: str) -> str:
        """The category of ``code`` (``KeyError`` if unknown)."""
        return self._mapping[code.strip()]

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip() in self._mapping

    def __iter__(self) -> Iterator[str]:
        return iter(self._mapping)

    def __len__(self) -> int:
        return len(self._mapping)

    def as_dict(self) -> dict[str, str]:
        """A copy of the full mapping (code → category), e.g. for ``polars.Expr.replace_strict``."""
        return dict(self._mapping)

    def unknown_codes(self, codes: Iterable[str]) -> list[str]:
        """The distinct codes in ``codes`` that the mapping does not know, sorted.

        An import calls this on the distinct codes of its file and stops with the list if it is not
        empty - an unknown code is never silently ``other``.
        """
        return sorted({code for code in codes if code not in self})


def load_mapping_csv(text: str) -> dict[str, str]:
    """Read an override mapping from a two-column CSV: code, category.

    The delimiter is sniffed from the first non-empty line (semicolon, comma or tab). The first row is a
    heading, and skipped, if its two cells are a code heading (``code``/``kode``/``status``...) and a
    category heading (``category``/``kategori``). Blank lines are ignored.

    Parameters
    ----------
    text : str
        The decoded file contents.

    Returns
    -------
    dict[str, str]
        Code → category (lower case), to pass as ``StatusMapping(overrides=...)``.

    Raises
    ------
    MappingError
        With *every* problem found (row, column, value, why): a row without exactly two cells, an empty
        code or category, a category outside :data:`CATEGORIES`, a code given twice.
    """
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = sniff_delimiter(first) if first else ";"
    mapping: dict[str, str] = {}
    seen_at: dict[str, int] = {}
    problems: list[MappingProblem] = []
    # csv handles quoting; line_num counts physical lines, which is what a spreadsheet shows as rows here
    # since mapping files have no quoted line breaks.
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header_checked = False
    for cells in reader:
        row = reader.line_num
        stripped = [c.strip() for c in cells]
        if not any(stripped):  # blank line, or only delimiters
            continue
        while len(stripped) > 2 and not stripped[-1]:  # trailing delimiters from spreadsheets
            stripped.pop()
        if not header_checked:
            header_checked = True
            if (
                len(stripped) == 2
                and stripped[0].lower() in _CODE_HEADINGS
                and stripped[1].lower() in _CATEGORY_HEADINGS
            ):
                continue
        if len(stripped) != 2:
            problems.append(
                MappingProblem(
                    row, "", delimiter.join(cells), f"expected 2 cells (code, category), found {len(stripped)}"
                )
            )
            continue
        code, category = stripped[0], stripped[1].lower()
        bad = False
        if not code:
            problems.append(MappingProblem(row, "code", cells[0], "empty code"))
            bad = True
        if not category:
            problems.append(MappingProblem(row, "category", cells[1], "empty category"))
            bad = True
        elif (problem := _category_problem(category, row)) is not None:
            problems.append(problem)
            bad = True
        if code and code in seen_at:
            problems.append(MappingProblem(row, "code", code, f"code already given in row {seen_at[code]}"))
            bad = True
        if code:
            seen_at.setdefault(code, row)
        if not bad:
            mapping[code] = category
    if problems:
        raise MappingError(problems)
    return mapping
