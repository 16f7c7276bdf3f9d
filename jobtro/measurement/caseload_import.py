"""Importing a municipality's caseload - the case system's CSV or XLSX export of who the citizens are
and who their caseworker is - from the web page (import_views) or `jobtro import-caseload`.

A declarative schema (:data:`CASELOAD`: one :class:`Column` per column, pandera-style) says what each
column may hold; one engine (:func:`validate`) checks every row of a file against it and collects
*all* problems as (row, column, value, what is wrong), in the user's language. Nothing is written
unless the whole file is valid, and then everything is written in one transaction with one BULK
audit event carrying the counts and the file's SHA-256 fingerprint. CPR numbers become pseudonyms on
the way in; the number and name are stored only encrypted (identity.seal).

Decisions, as municipal staff would expect them
-----------------------------------------------
- **Citizens missing from a later file are left as they are** - unless the data manager says the
  file is the whole caseload (``complete=True``; the page's check box, the command's
  ``--complete``). A case-system export is often not the whole caseload (one team's, one target
  group's, a filtered list), and ending every missing citizen's assignment by default would
  silently empty caseloads on the strength of a partial file - and the next wave would freeze the
  wrong caseloads. The result counts them (``not_in_file``) either way and the page and command say
  so. With ``complete``, their current assignments end on the import date (a citizen whose
  assignment began that very day, by an earlier import the same day, has it removed instead: it
  never lasted a day; those few deletions are audited one by one by the signals).
- **An empty optional value never erases a stored one** (target group, course start, prior weeks on
  benefit): "nothing is lost" (DESIGN.md) outweighs being able to blank a field by import; a missing
  optional column likewise leaves the stored values alone.
- **A new citizen's caseworker assignment starts on the import date**: the file says who the
  caseworker is now, not since when.
- **A changed caseworker** ends the current assignment on the import date and starts a new one that
  day - a caseworker change with dates. If the current assignment started that same day (two
  imports on one day, the first one wrong), it is corrected in place: an assignment of zero days
  cannot exist and would record a change the citizen never experienced.
- **Caseworkers** are named by username or e-mail address (case-insensitive) and must hold an
  active caseworker role in the importing municipality on the import date.
- **CPR numbers from XLSX number cells**: a number cannot keep a leading zero, so a CPR number of a
  citizen born on the 1st-9th of a month comes back with 9 digits when its column was formatted as
  numbers. For number cells only, the zero is put back (exactly one can be lost, as the day is at
  most 31). Nine digits typed as *text* - and in CSV, where a cell's type is unknown - are an error
  with a hint, because there a digit may be missing anywhere and guessing would make another person.
- **A CPR number already registered in another municipality** is an error: a citizen belongs to one
  municipality in jobtro, and moving one is not a data manager's decision about another
  municipality's data.
- **Re-importing the same file** writes no citizens or assignments; one BULK event records that the
  import ran and changed nothing (who imported which file, when, stays traceable).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobtro.audit.actions import record
from jobtro.audit.models import AuditEvent
from jobtro.lib import tabular
from jobtro.lib.cpr import CPR, CPRError, parse
from jobtro.lib.tabular import DateError, Row, Table, TabularError
from jobtro.measurement import identity
from jobtro.measurement.models import CaseworkerAssignment, Citizen
from jobtro.organisation.models import Membership, Municipality, Role, Staff

MAX_NAME = 200
MAX_TARGET_GROUP = Citizen._meta.get_field("target_group").max_length or 100
EARLIEST_COURSE_START = date(1950, 1, 1)
_CHUNK = 500  # rows per query or bulk statement: well under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or, as a warning, worth checking) in the file.

    ``row`` is the spreadsheet row (None for the file as a whole), ``column`` the column's heading as
    written in the file (or the expected heading when it is missing), ``value`` the cell as written.
    """

    row: int | None
    column: str
    value: str
    message: str


class Invalid(ValueError):
    """Raised by a column's ``clean`` with a message (already translated) saying what is wrong."""


@dataclass(frozen=True)
class Cell:
    text: str  # trimmed
    numeric: bool  # a number in an XLSX sheet (see tabular.Row.numeric)


class Context:
    """What the columns' checks need to know about the import: where, when, and who the caseworkers are."""

    def __init__(self, municipality: Municipality, on: date) -> None:
        self.municipality = municipality
        self.on = on
        active = Membership.objects.active(on).filter(role=Role.CASEWORKER, municipality=municipality)
        self._staff: dict[int, Staff] = {}
        self._by_name: dict[str, set[int]] = defaultdict(set)
        for person in Staff.objects.filter(pk__in=active.values("staff_id"), is_active=True):
            self._staff[person.pk] = person
            self._by_name[person.username.casefold()].add(person.pk)
            if person.email.strip():
                self._by_name[person.email.strip().casefold()].add(person.pk)

    def caseworker(self, text: str) -> Staff:
        found = self._by_name.get(text.casefold(), set())
        if len(found) == 1:
            return self._staff[next(iter(found))]
        if not found:
            raise Invalid(
                _("No caseworker in %(municipality)s has this username or e-mail address.")
                % {"municipality": self.municipality.name}
            )
        raise Invalid(
            _("Several caseworkers in %(municipality)s match this; use the username.")
            % {"municipality": self.municipality.name}
        )


@dataclass(frozen=True)
class Column:
    """One column of an import format: how to recognise it and what a valid value is.

    ``clean`` turns a non-empty trimmed cell into a value or raises :class:`Invalid`; ``warn`` may
    return a message for a valid value worth a second look; ``unique`` gives the key under which
    two rows may not share a value, and ``duplicate`` says so.
    """

    key: str
    heading: str  # the heading to write (Danish, as case systems write it)
    aliases: tuple[str, ...]
    clean: Callable[[Cell, Context], Any]
    description: Promise
    required: bool = True
    warn: Callable[[Any], str | None] | None = None
    unique: Callable[[Any], object] | None = None
    duplicate: Callable[[int], str] | None = None  # the message for a repeated value, given the first row

    def accepted(self) -> str:
        return ", ".join([self.heading, *self.aliases])


@dataclass(frozen=True)
class Schema:
    columns: tuple[Column, ...]

    def headings(self) -> str:
        return ", ".join(c.heading for c in self.columns)


# --- the columns' checks ---------------------------------------------------------------------------


def _cpr(cell: Cell, ctx: Context) -> CPR:
    text = tabular.restore_leading_zeros(cell.text, 10) if cell.numeric else cell.text
    try:
        cpr = parse(text)
    except CPRError as exc:
        digits = text.replace("-", "")
        if exc.code == "format" and digits.isascii() and digits.isdigit() and len(digits) == 9:
            raise Invalid(
                _(
                    "Not a CPR number: only 9 digits. Has the leading 0 disappeared? (Excel removes it "
                    "when the column is formatted as numbers.)"
                )
            ) from None
        messages = {
            "format": _("Not a CPR number: expected 10 digits as DDMMYY-SSSS."),
            "date": _("The first six digits (DDMMYY) are not a valid date."),
            "century": _("The 7th digit does not fit the birth year."),
        }
        raise Invalid(messages.get(exc.code, messages["format"])) from None
    if cpr.birth_date > ctx.on:
        raise Invalid(_("The birth date in the CPR number lies in the future."))
    return cpr


def _modulus11_warning(cpr: CPR) -> str | None:
    if cpr.modulus11_ok:
        return None
    return _(
        "The CPR number fails the modulus-11 check. Numbers issued since 1 October 2007 may do so; "
        "check the number - it will be imported."
    )


def _text(limit: int) -> Callable[[Cell, Context], str]:
    def clean(cell: Cell, ctx: Context) -> str:
        text = " ".join(cell.text.split())  # exports pad and double spaces; one spelling per name
        if len(text) > limit:
            raise Invalid(_("Too long: at most %(max)s characters.") % {"max": limit})
        return text

    return clean


def _caseworker(cell: Cell, ctx: Context) -> Staff:
    return ctx.caseworker(cell.text)


def _danish(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def _course_start(cell: Cell, ctx: Context) -> date:
    try:
        day = tabular.parse_date(cell.text)
    except DateError as exc:
        messages = {
            "two_digit_year": _("The year has two digits, which is ambiguous: write it with four (e.g. 06-01-2025)."),
            "no_such_date": _("No such date (the day or month is out of range)."),
        }
        raise Invalid(
            messages.get(exc.code, _("Not a date: use dd-mm-yyyy, dd.mm.yyyy, dd/mm/yyyy or yyyy-mm-dd."))
        ) from None
    # A typo in the year ("2205", "1025") is a valid date; catch what cannot be a course start.
    latest = ctx.on + timedelta(days=366)
    if not EARLIEST_COURSE_START <= day <= latest:
        raise Invalid(
            _("The date is implausible: expected between %(first)s and %(last)s.")
            % {"first": _danish(EARLIEST_COURSE_START), "last": _danish(latest)}
        )
    return day


MAX_PRIOR_WEEKS = 52 * 70  # seventy years on benefit: anything above is a typo


def _prior_weeks(cell: Cell, ctx: Context) -> int:
    # Case systems write whole weeks, sometimes as a decimal number ("104" or "104,0" or an XLSX number).
    text = cell.text.replace(" ", "").replace("\u00a0", "")
    whole = text[:-2] if text.endswith((",0", ".0")) else text
    if not (whole.isascii() and whole.isdigit()):
        raise Invalid(_("Not a number of weeks: write a whole number, e.g. 104."))
    weeks = int(whole)
    if weeks > MAX_PRIOR_WEEKS:
        raise Invalid(_("Implausibly many weeks: at most %(max)s.") % {"max": MAX_PRIOR_WEEKS})
    return weeks


CASELOAD = Schema(
    columns=(
        Column(
            key="cpr",
            heading="CPR-nummer",
            aliases=("CPR", "CPR-nr", "personnummer", "CPR number"),
            clean=_cpr,
            warn=_modulus11_warning,
            unique=lambda cpr: cpr.number,  # 010190-1234 and 0101901234 are one citizen
            duplicate=lambda first: _("The same CPR number as in row %(row)s.") % {"row": first},
            description=gettext_lazy("10 digits, with or without a hyphen (DDMMYY-SSSS)."),
        ),
        Column(
            key="name",
            heading="Navn",
            aliases=("fulde navn", "borgerens navn", "borger", "name", "full name", "citizen"),
            clean=_text(MAX_NAME),
            description=gettext_lazy("The citizen's name."),
        ),
        Column(
            key="caseworker",
            heading="Sagsbehandler",
            aliases=(
                "ansvarlig sagsbehandler",
                "sagsbehandler-id",
                "sagsbehandler e-mail",
                "sagsbehandlers e-mail",
                "medarbejder",
                "medarbejder-id",
                "medarbejder e-mail",
                "jobkonsulent",
                "caseworker",
                "caseworker id",
                "caseworker e-mail",
            ),
            clean=_caseworker,
            description=gettext_lazy("The caseworker's username or e-mail address in jobtro."),
        ),
        Column(
            key="target_group",
            heading="Målgruppe",
            aliases=("target group",),
            clean=_text(MAX_TARGET_GROUP),
            required=False,
            description=gettext_lazy("Optional. For example 'aktivitetsparat kontanthjælpsmodtager'."),
        ),
        Column(
            key="course_start",
            heading="Forløbsstart",
            aliases=("startdato", "forløbets start", "start", "course start", "start date"),
            clean=_course_start,
            required=False,
            description=gettext_lazy("Optional. The date the citizen's course started."),
        ),
        Column(
            key="prior_weeks_on_benefit",
            heading="Anciennitet (uger)",
            aliases=(
                "anciennitet",
                "anciennitet i uger",
                "ydelsesanciennitet",
                "forudgående uger på ydelse",
                "uger på ydelse",
                "prior weeks on benefit",
                "weeks on benefit",
            ),
            clean=_prior_weeks,
            required=False,
            description=gettext_lazy(
                "Optional. Weeks on benefit before the project (benefit seniority), a whole number; the BIP "
                "analysis controls for it."
            ),
        ),
    )
)


# --- the engine ------------------------------------------------------------------------------------


@dataclass
class CheckedRow:
    """A data row after checking: ``values`` holds every cell that passed (None for an empty optional
    one); ``failed`` the keys of the cells that did not."""

    row: Row
    values: dict[str, Any]
    failed: set[str] = field(default_factory=set)

    @property
    def number(self) -> int:
        return self.row.number


@dataclass
class Validation:
    rows: list[CheckedRow]
    columns: dict[str, tuple[int, str]]  # key -> (index, the heading as written in the file)
    errors: list[Problem]
    warnings: list[Problem]


def validate(table: Table, schema: Schema, ctx: Context) -> Validation:
    """Check every row of ``table`` against ``schema`` and collect every problem (none is fatal here)."""
    header = table.header
    match = tabular.match_headings(header.cells, {c.key: (*c.aliases, c.heading) for c in schema.columns})
    columns = {key: (index, header.cells[index].strip()) for key, index in match.columns.items()}
    errors: list[tuple[int, Problem]] = []  # (column index, problem) to sort by row, then column
    warnings: list[tuple[int, Problem]] = []

    for column in schema.columns:
        if column.key in match.missing and column.required:
            missing = Problem(
                header.number,
                column.heading,
                "",
                _("The column is missing. Accepted headings: %(names)s.") % {"names": column.accepted()},
            )
            errors.append((-1, missing))
    for index in match.unknown:
        message = _("Unknown column. Remove it, or rename it to one of: %(names)s.") % {"names": schema.headings()}
        errors.append((index, Problem(header.number, header.cells[index].strip(), "", message)))
    for index, first in match.repeated:
        message = _("The same column appears twice (also in column %(letter)s).") % {
            "letter": tabular.column_letter(first)
        }
        errors.append((index, Problem(header.number, header.cells[index].strip(), "", message)))
    # Values under no heading: Excel's trailing delimiters leave empty ones, which are fine.
    headless = set(match.unnamed)
    width = len(header.cells)
    stray = sorted(
        {i for row in table.rows for i, text in enumerate(row.cells) if text.strip() and (i >= width or i in headless)}
    )
    for index in stray:
        label = _("(no heading, column %(letter)s)") % {"letter": tabular.column_letter(index)}
        errors.append((index, Problem(header.number, label, "", _("The column has values but no heading."))))

    present = [(c, match.columns[c.key]) for c in schema.columns if c.key in match.columns]
    seen: dict[str, dict[object, int]] = {c.key: {} for c, _index in present if c.unique}
    checked = []
    for row in table.rows:
        result = CheckedRow(row, {})
        for column, index in present:
            heading = columns[column.key][1]
            problem, warning = _check(row, column, index, heading, ctx, result)
            if problem:
                errors.append((index, problem))
            if warning:
                warnings.append((index, warning))
            if column.unique and result.values.get(column.key) is not None:
                key = column.unique(result.values[column.key])
                first = seen[column.key].setdefault(key, row.number)
                if first != row.number:
                    message = column.duplicate(first) if column.duplicate else _("A value is repeated.")
                    errors.append((index, Problem(row.number, heading, row.get(index), message)))
                    result.failed.add(column.key)
                    del result.values[column.key]
        checked.append(result)

    def order(item: tuple[int, Problem]) -> tuple[int, int]:
        return (item[1].row or 0, item[0])

    return Validation(
        rows=checked,
        columns=columns,
        errors=[p for _i, p in sorted(errors, key=order)],
        warnings=[p for _i, p in sorted(warnings, key=order)],
    )


def _check(
    row: Row, column: Column, index: int, heading: str, ctx: Context, result: CheckedRow
) -> tuple[Problem | None, Problem | None]:
    raw = row.get(index)
    text = raw.strip()
    if not text:
        if column.required:
            result.failed.add(column.key)
            return Problem(row.number, heading, raw, _("A value is required.")), None
        result.values[column.key] = None
        return None, None
    try:
        value = column.clean(Cell(text, index in row.numeric), ctx)
    except Invalid as exc:
        result.failed.add(column.key)
        return Problem(row.number, heading, raw, str(exc)), None
    result.values[column.key] = value
    message = column.warn(value) if column.warn else None
    return None, (Problem(row.number, heading, raw, message) if message else None)


# --- the import ------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import found and did. The counts split the file's rows: every row is exactly one of
    new, caseworker change, updated (name, target group or course start; or a caseworker where
    there was none) or unchanged. ``not_in_file`` counts the municipality's citizens with a current
    caseworker whom the file does not mention: left as they are, or - with ``complete`` - with
    their assignments ended."""

    municipality: Municipality
    sha256: str
    dry_run: bool
    on: date
    complete: bool = False
    rows: int = 0
    new_citizens: int = 0
    caseworker_changes: int = 0
    updated: int = 0
    unchanged: int = 0
    not_in_file: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    imported: bool = False  # True once written (never for a dry run or a file with errors)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> bool:
        return bool(self.new_citizens or self.caseworker_changes or self.updated or self.ended)

    @property
    def ended(self) -> int:
        """Citizens whose assignment this import ends because they are not in a complete file."""
        return self.not_in_file if self.complete else 0

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "new_citizens": self.new_citizens,
            "caseworker_changes": self.caseworker_changes,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "not_in_file": self.not_in_file,
            "warnings": len(self.warnings),
        }


@dataclass
class _Plan:
    new: list[tuple[CPR, dict[str, Any]]] = field(default_factory=list)
    changed_citizens: list[Citizen] = field(default_factory=list)
    ended: list[CaseworkerAssignment] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)  # ids of same-day assignments of citizens who left
    corrected: list[CaseworkerAssignment] = field(default_factory=list)
    assignments: list[CaseworkerAssignment] = field(default_factory=list)


def import_caseload(
    data: bytes,
    municipality: Municipality,
    *,
    dry_run: bool = False,
    complete: bool = False,
    on: date | None = None,
) -> ImportResult:
    """Validate a caseload file for ``municipality`` and, unless ``dry_run`` or any error, import it.

    ``complete``: the file is the municipality's whole caseload, so citizens with a caseworker who
    are not in it leave their caseworker's caseload (see the module docstring).

    The caller has checked that the acting user may import for ``municipality``
    (access.caseload_import_municipalities) and set the audit actor.
    """
    result = ImportResult(
        municipality=municipality,
        sha256=hashlib.sha256(data).hexdigest(),
        dry_run=dry_run,
        on=on or timezone.localdate(),
        complete=complete,
    )
    try:
        table = tabular.read(data)
    except TabularError as exc:
        result.errors.append(Problem(exc.row, "", "", _file_message(exc)))
        return result
    result.rows = len(table.rows)
    if not table.rows:
        # Nothing to import is almost surely the wrong file (or export settings) - and with ``complete``
        # it would empty every caseload in the municipality.
        result.errors.append(Problem(table.header.number, "", "", _("The file has headings but no rows.")))
        return result
    if dry_run:
        _plan(table, result)
        return result
    with transaction.atomic():
        # One import per municipality at a time: a second one waits here and then sees the first's rows.
        Municipality.objects.select_for_update(no_key=True).filter(pk=municipality.pk).first()
        plan = _plan(table, result)
        if plan is None:
            return result
        _apply(plan, result)
        detail: dict[str, Any] = {
            "import": "caseload",
            "sha256": result.sha256,
            "format": table.format,
            "date": result.on.isoformat(),
            "complete": result.complete,
            "no_change": not result.changed,
            **result.counts(),
        }
        record(
            AuditEvent.Action.BULK,
            object_type="measurement.Citizen",
            object_repr=f"caseload import {municipality.code}",
            municipality_code=municipality.code,
            detail=detail,
        )
        result.imported = True
    return result


def _file_message(exc: TabularError) -> str:
    messages = {
        "empty": _("The file is empty: it has no heading row."),
        "xls": _(
            "Old Excel files (.xls) and password-protected workbooks cannot be read: save the file as .xlsx "
            "or CSV, without a password."
        ),
        "xlsx": _("The XLSX file cannot be opened; it may be damaged."),
        "quotes": _("A quotation mark is not closed, or text follows a closing quotation mark."),
        "too_many_rows": _("The file has more than %(max)s rows.") % {"max": tabular.MAX_ROWS},
    }
    return messages.get(
        exc.code, _("The file can be read neither as text (UTF-8 or Windows-1252) nor as an XLSX workbook.")
    )


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _plan(table: Table, result: ImportResult) -> _Plan | None:
    """Check the file against the schema and the database; fill ``result``'s problems and counts and
    return what to write, or None when there are errors."""
    municipality = result.municipality
    checked = validate(table, CASELOAD, Context(municipality, result.on))
    result.errors.extend(checked.errors)
    result.warnings.extend(checked.warnings)

    pseudonyms = {r.number: identity.pseudonym_for(r.values["cpr"].number) for r in checked.rows if "cpr" in r.values}
    unique = sorted(set(pseudonyms.values()))
    existing: dict[str, Citizen] = {}
    for chunk in _chunks(unique):
        existing.update((c.pseudonym, c) for c in Citizen.objects.filter(pseudonym__in=chunk))
    for r in checked.rows:
        citizen = existing.get(pseudonyms.get(r.number, ""))
        if citizen is not None and citizen.municipality_id != municipality.pk:
            index, heading = checked.columns["cpr"]
            message = _(
                "The citizen is already registered in another municipality in jobtro. Contact the research "
                "centre if the citizen has moved."
            )
            result.errors.append(Problem(r.number, heading, r.row.get(index), message))
    if result.errors:
        result.errors.sort(key=lambda p: p.row or 0)  # stable: within a row, the columns keep their order
        return None

    current = {
        a.citizen_id: a for a in CaseworkerAssignment.objects.current().filter(citizen__municipality=municipality)
    }
    box = identity.cipher()
    plan = _Plan()
    seen: set[int] = set()
    for row in checked.rows:
        values = row.values
        caseworker: Staff = values["caseworker"]
        citizen = existing.get(pseudonyms[row.number])
        if citizen is None:
            plan.new.append((values["cpr"], values))
            result.new_citizens += 1
            continue
        seen.add(citizen.pk)
        details = False
        if box.decrypt(citizen.name_encrypted) != values["name"]:
            citizen.name_encrypted = box.encrypt(values["name"])
            details = True
        for key in ("target_group", "course_start", "prior_weeks_on_benefit"):
            # None: the column is absent or the cell empty - either way the stored value stays.
            if values.get(key) is not None and getattr(citizen, key) != values[key]:
                setattr(citizen, key, values[key])
                details = True
        if details:
            plan.changed_citizens.append(citizen)
        assignment = current.get(citizen.pk)
        if assignment is None:
            plan.assignments.append(CaseworkerAssignment(citizen=citizen, caseworker=caseworker, start=result.on))
            result.updated += 1
        elif assignment.caseworker_id != caseworker.pk:
            if assignment.start >= result.on:
                assignment.caseworker = caseworker
                plan.corrected.append(assignment)
            else:
                assignment.end = result.on
                plan.ended.append(assignment)
                plan.assignments.append(CaseworkerAssignment(citizen=citizen, caseworker=caseworker, start=result.on))
            result.caseworker_changes += 1
        elif details:
            result.updated += 1
        else:
            result.unchanged += 1
    gone = [a for citizen_id, a in current.items() if citizen_id not in seen]
    result.not_in_file = len(gone)
    if result.complete:
        for assignment in gone:
            if assignment.start >= result.on:
                plan.removed.append(assignment.pk)
            else:
                assignment.end = result.on
                plan.ended.append(assignment)
    return plan


def _apply(plan: _Plan, result: ImportResult) -> None:
    """Write the plan with bulk statements (the BULK audit event stands for them all)."""
    created = []
    for cpr, values in plan.new:
        sealed = identity.seal(cpr.number, values["name"])
        created.append(
            Citizen(
                municipality=result.municipality,
                pseudonym=sealed.pseudonym,
                cpr_encrypted=sealed.cpr_encrypted,
                name_encrypted=sealed.name_encrypted,
                birth_year=sealed.birth_year,
                female=sealed.female,
                target_group=values.get("target_group") or "",
                course_start=values.get("course_start"),
                prior_weeks_on_benefit=values.get("prior_weeks_on_benefit"),
            )
        )
    Citizen.objects.bulk_create(created, batch_size=_CHUNK)
    if any(c.pk is None for c in created):  # backends that cannot return ids from a bulk insert
        ids: dict[str, int] = {}
        for chunk in _chunks([c.pseudonym for c in created]):
            ids.update(Citizen.objects.filter(pseudonym__in=chunk).values_list("pseudonym", "pk"))
        for citizen in created:
            citizen.pk = ids[citizen.pseudonym]
    for citizen, (_cpr, values) in zip(created, plan.new, strict=True):
        plan.assignments.append(CaseworkerAssignment(citizen=citizen, caseworker=values["caseworker"], start=result.on))

    Citizen.objects.bulk_update(
        plan.changed_citizens,
        ["name_encrypted", "target_group", "course_start", "prior_weeks_on_benefit"],
        batch_size=_CHUNK,
    )
    # Ended before the new ones are created: at most one current assignment per citizen (a constraint).
    CaseworkerAssignment.objects.bulk_update(plan.ended, ["end"], batch_size=_CHUNK)
    CaseworkerAssignment.objects.filter(pk__in=plan.removed).delete()
    CaseworkerAssignment.objects.bulk_update(plan.corrected, ["caseworker"], batch_size=_CHUNK)
    CaseworkerAssignment.objects.bulk_create(plan.assignments, batch_size=_CHUNK)


def problem_line(problem: Problem, *, warning: bool = False) -> str:
    """One line for a terminal: row, column, value (quoted, line breaks escaped) and what is wrong."""
    values = {
        "row": problem.row if problem.row is not None else "-",
        "column": json.dumps(problem.column, ensure_ascii=False) if problem.column else "-",
        "value": json.dumps(problem.value, ensure_ascii=False),
        "message": problem.message,
    }
    if warning:
        return _("warning: row %(row)s, column %(column)s, value %(value)s: %(message)s") % values
    return _("row %(row)s, column %(column)s, value %(value)s: %(message)s") % values
