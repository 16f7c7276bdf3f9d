"""Importing outcome register files into a project: `jobtro import-status`, `jobtro import-events` and
the data manager's upload page (through :mod:`jobtro.outcomes.tasks`) all come here.

The file is read and checked in full first (:mod:`jobtro.lib.outcome_files`, columnar); nothing is
written unless it is valid. Then, in one transaction with the scope's store row locked, the new
extract is merged into what is stored and the store, an :class:`OutcomeImport` record and one BULK
audit event are written together.

Decisions, as municipal staff and researchers would expect them
---------------------------------------------------------------
- **Re-importing a file is a no-op**: the SHA-256 of the bytes identifies a file; a file already
  imported into the same store changes nothing and says which import it was. A different file with
  the same content (re-exported, reformatted) is recorded but adds and changes nothing.
- **A later extract that overlaps an earlier one updates the overlapping person-weeks** and says how
  many changed and how many were added; person-weeks only in the earlier extract are kept (a later
  extract of fewer persons or weeks erases nothing).
- **Unknown status codes stop the import** with the list of codes, their number of rows and first
  row; the project's mapping (``jobtro status-codes`` or the admin) must say what they are.
- **Scope**: a municipality's data manager imports for their municipality; the command line may
  also import a national register extract (no municipality) for the whole project. Spells use all
  scopes; where two scopes hold the same person-week, the most recently updated one wins.
- **Event files** (start of job or education, with dates) cover a stated period (``covers_from``,
  default the first event in the file, to ``covers_until``, required: the extract's end of data).
  An event extract is complete for its period: it replaces the stored events of that period.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl
from django.db import transaction
from django.utils.translation import gettext as _

from jobtro.audit.actions import record
from jobtro.audit.models import AuditEvent
from jobtro.lib import outcome_files, tabular
from jobtro.lib.outcome_files import EventCounts, MergeCounts, Panel, Problem, Problems
from jobtro.lib.status_codes import StatusMapping
from jobtro.measurement.identity import pseudonym_for
from jobtro.organisation.models import Municipality, Project, Staff
from jobtro.outcomes.models import Kind, OutcomeImport, OutcomeStore, StatusCodeOverride

Progress = Callable[[str], None]

# The steps of an import, in order, for progress bars (a step's name is reported as it starts).
STATUS_STEPS = ("read", "check", "link", "sort", "merge", "save")
EVENT_STEPS = ("read", "check", "link", "merge", "save")


def project_mapping(project: Project, extra: dict[str, str] | None = None) -> StatusMapping:
    """The defaults with the project's overrides on top (and ``extra`` on top of those)."""
    overrides = dict(StatusCodeOverride.objects.filter(project=project).values_list("code", "category"))
    return StatusMapping({**overrides, **(extra or {})})


def save_overrides(project: Project, overrides: dict[str, str]) -> None:
    """Add or re-map the project's codes (each change audited by the model signals)."""
    for code, category in overrides.items():
        StatusCodeOverride.objects.update_or_create(project=project, code=code, defaults={"category": category})


@dataclass
class ImportOutcome:
    """What an import did. ``problems`` is set (and nothing was written) when the file was invalid;
    ``previous`` is set when the very same file had been imported before (nothing was written)."""

    kind: str
    problems: Problems | None = None
    record: OutcomeImport | None = None
    previous: OutcomeImport | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problems is None


def _store(project: Project, kind: str, municipality: Municipality | None) -> OutcomeStore:
    """The scope's store row, created if missing, locked for the rest of the transaction."""
    OutcomeStore.objects.get_or_create(project=project, kind=kind, municipality=municipality)
    return OutcomeStore.objects.select_for_update().get(project=project, kind=kind, municipality=municipality)


def stored_panel(store: OutcomeStore) -> Panel | None:
    if not store.data_parquet:
        return None
    return Panel.from_parquet(bytes(store.persons_parquet), bytes(store.data_parquet), store.codes)


def stored_events(store: OutcomeStore) -> pl.DataFrame | None:
    if not store.data_parquet:
        return None
    return pl.read_parquet(io.BytesIO(bytes(store.data_parquet)))


def _previous(project: Project, kind: str, municipality: Municipality | None, fingerprint: str) -> OutcomeImport | None:
    """The earlier import of the very same file into the scope, if any (then nothing is imported)."""
    return OutcomeImport.objects.filter(
        store__project=project, store__kind=kind, store__municipality=municipality, fingerprint=fingerprint
    ).first()


def _fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _scope_code(municipality: Municipality | None) -> str:
    return municipality.code if municipality is not None else ""


def import_status(
    data: bytes,
    *,
    project: Project,
    municipality: Municipality | None,
    file_name: str = "",
    user: Staff | None = None,
    via: str = "cli",
    mapping_overrides: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Import a weekly status file into the scope's store (see the module docstring).

    ``mapping_overrides`` (code -> category) are checked with the file and saved as the project's
    overrides in the same transaction as the import: both are saved, or neither."""
    step = progress or (lambda _name: None)
    outcome = ImportOutcome(Kind.STATUS)
    fingerprint = _fingerprint(data)
    outcome.previous = _previous(project, Kind.STATUS, municipality, fingerprint)
    if outcome.previous is not None:
        return outcome
    try:
        mapping = project_mapping(project, mapping_overrides)
        extract = outcome_files.read_status(data, mapping, pseudonym_for, progress=step)
    except Problems as problems:
        outcome.problems = problems
        return outcome
    step("merge")
    with transaction.atomic():
        store = _store(project, Kind.STATUS, municipality)
        if store.imports.filter(fingerprint=fingerprint).exists():  # imported meanwhile by someone else
            outcome.previous = store.imports.get(fingerprint=fingerprint)
            return outcome
        merged, counts = outcome_files.merge_status(stored_panel(store), extract.panel)
        step("save")
        if mapping_overrides:
            save_overrides(project, mapping_overrides)
        if not counts.noop:
            store.persons_parquet, store.data_parquet = merged.to_parquet()
            store.codes = list(merged.codes)
            store.rows, store.persons = merged.rows, len(merged.persons)
            store.first_week, store.last_week = merged.first_week, merged.last_week
        store.save()
        outcome.record = OutcomeImport.objects.create(
            store=store,
            fingerprint=fingerprint,
            file_name=file_name[:255],
            file_format=extract.format,
            identified_by=extract.identified_by,
            rows=extract.rows,
            persons=len(extract.panel.persons),
            first_week=extract.panel.first_week,
            last_week=extract.panel.last_week,
            added=counts.added,
            changed=counts.changed,
            unchanged=counts.unchanged,
            imported_by=user,
            imported_via=via,
        )
        outcome.counts = _status_counts(extract.rows, len(extract.panel.persons), counts)
        _audit(store, outcome)
    return outcome


def _status_counts(rows: int, persons: int, counts: MergeCounts) -> dict[str, int]:
    return {
        "rows": rows,
        "persons": persons,
        "added": counts.added,
        "changed": counts.changed,
        "unchanged": counts.unchanged,
    }


def import_events(
    data: bytes,
    *,
    project: Project,
    municipality: Municipality,
    covers_until: date,
    covers_from: date | None = None,
    file_name: str = "",
    user: Staff | None = None,
    via: str = "cli",
    progress: Progress | None = None,
) -> ImportOutcome:
    """Import an event file (start of job / education) for a municipality (see the module docstring)."""
    step = progress or (lambda _name: None)
    outcome = ImportOutcome(Kind.EVENTS)
    fingerprint = _fingerprint(data)
    outcome.previous = _previous(project, Kind.EVENTS, municipality, fingerprint)
    if outcome.previous is not None:
        return outcome
    try:
        extract = outcome_files.read_events(data, pseudonym_for, progress=step)
        start = covers_from or extract.frame["date"].min()
        assert start is None or isinstance(start, date)
        start = start or covers_until
        outside = outcome_files.events_outside(extract.frame, start=start, until=covers_until)
        if covers_from is not None and covers_from > covers_until:
            raise outcome_files.Problems(
                pl.DataFrame(
                    [(None, "", f"{covers_from} - {covers_until}", "period", 1)],
                    schema={**_PROBLEM_SCHEMA},
                    orient="row",
                )
            )
        if outside.height:
            raise _outside_problems(data, extract, outside)
    except Problems as problems:
        outcome.problems = problems
        return outcome
    with transaction.atomic():
        store = _store(project, Kind.EVENTS, municipality)
        if store.imports.filter(fingerprint=fingerprint).exists():
            outcome.previous = store.imports.get(fingerprint=fingerprint)
            return outcome
        step("merge")
        merged, counts = outcome_files.merge_events(
            stored_events(store), extract.frame, start=start, until=covers_until
        )
        step("save")
        if not counts.noop:
            buffer = io.BytesIO()
            merged.write_parquet(buffer)
            store.data_parquet = buffer.getvalue()
            store.rows, store.persons = merged.height, merged["person"].n_unique()
            store.first_week = None if merged.is_empty() else int(merged["week"].min())  # type: ignore[arg-type]
            store.last_week = None if merged.is_empty() else int(merged["week"].max())  # type: ignore[arg-type]
        store.covers_until = max(covers_until, store.covers_until or covers_until)
        store.save()
        outcome.record = OutcomeImport.objects.create(
            store=store,
            fingerprint=fingerprint,
            file_name=file_name[:255],
            file_format=extract.format,
            identified_by=extract.identified_by,
            rows=extract.rows,
            persons=extract.frame["person"].n_unique(),
            first_week=None if extract.frame.is_empty() else int(extract.frame["week"].min()),  # type: ignore[arg-type]
            last_week=None if extract.frame.is_empty() else int(extract.frame["week"].max()),  # type: ignore[arg-type]
            added=counts.added,
            changed=counts.removed,
            unchanged=counts.unchanged,
            covers_from=start,
            covers_until=covers_until,
            imported_by=user,
            imported_via=via,
        )
        outcome.counts = _event_counts(extract.rows, outcome.record.persons, counts)
        _audit(store, outcome)
    return outcome


_PROBLEM_SCHEMA = {"row": pl.Int64, "column": pl.String, "value": pl.String, "code": pl.String, "count": pl.Int64}


def _outside_problems(data: bytes, extract: outcome_files.EventExtract, outside: pl.DataFrame) -> Problems:
    # The rows are found again from the file: the extract keeps no row numbers once it is valid.
    raw = outcome_files.read_table(data)
    match = tabular.match_headings(raw.headings, outcome_files.EVENT_HEADINGS)
    column = f"c{match.columns['date']}"
    heading = raw.headings[match.columns["date"]]
    dates = {str(d) for d in outside["date"].to_list()}
    parsed = raw.frame.select("__row", pl.col(column).fill_null("").alias("value")).filter(
        pl.col("value").map_elements(lambda v: _iso(v) in dates, return_dtype=pl.Boolean)
    )
    return Problems(
        parsed.select(
            pl.col("__row").alias("row"),
            pl.lit(heading).alias("column"),
            "value",
            pl.lit("outside_period").alias("code"),
            pl.lit(1, pl.Int64).alias("count"),
        )
    )


def _iso(text: str) -> str:
    try:
        return tabular.parse_date(text).isoformat()
    except tabular.DateError:
        return ""


def _event_counts(rows: int, persons: int, counts: EventCounts) -> dict[str, int]:
    return {
        "rows": rows,
        "persons": persons,
        "added": counts.added,
        "removed": counts.removed,
        "unchanged": counts.unchanged,
    }


def _audit(store: OutcomeStore, outcome: ImportOutcome) -> None:
    assert outcome.record is not None
    record(
        AuditEvent.Action.BULK,
        object_type="outcomes.OutcomeStore",
        object_id=str(store.pk),
        object_repr=f"{store.kind} import {_scope_code(store.municipality) or 'national'}",
        municipality_code=_scope_code(store.municipality),
        detail={
            "file": outcome.record.file_name,
            "sha256": outcome.record.fingerprint,
            "import_id": outcome.record.pk,
            **outcome.counts,
        },
    )


# --- problems in words ------------------------------------------------------------------------------


def _messages() -> dict[str, str]:
    return {
        "unreadable": _("The file can be read neither as CSV, Parquet nor XLSX."),
        "empty": _("The file is empty: it has no heading row or no rows."),
        "missing_column": _("The column is missing."),
        "person_columns": _("Give either a CPR column or a pseudonym column, not both."),
        "repeated_column": _("The column appears twice."),
        "week_columns": _("Give the week either as one column (year and week) or as two, not both."),
        "blank": _("The value is missing."),
        "cpr": _("Not a valid CPR number."),
        "pseudonym": _("Not a pseudonym made by jobtro (24 characters: a-z and 2-7)."),
        "week": _("Not an ISO week (write e.g. 2025-W07)."),
        "year": _("Not a year (four digits)."),
        "week_number": _("That ISO year has no such week (1-52, or 53 in long years)."),
        "unknown_code": _(
            "The status code is not in the project's mapping (%(count)s rows). Ask the project's administrator "
            "to add it with its category."
        ),
        "duplicate": _("The same person and week appear in an earlier row."),
        "event": _("Not a kind of event: write job or education (beskæftigelse or uddannelse)."),
        "date": _("Not a date (write e.g. 17-03-2025)."),
        "duplicate_event": _("The same person, event and date appear in an earlier row."),
        "outside_period": _("The date lies outside the period the file covers."),
        "period": _("The period's start lies after its end."),
    }


def problem_message(problem: Problem) -> str:
    """What is wrong, in the user's language."""
    message = _messages().get(problem.code, problem.code)
    return message % {"count": problem.count} if "%(count)s" in message else message


def problem_line(problem: Problem) -> str:
    """One line for a terminal: row, column, value and what is wrong."""
    return _("row %(row)s, column %(column)s, value %(value)s: %(message)s") % {
        "row": problem.row if problem.row is not None else "-",
        "column": f'"{problem.column}"' if problem.column else "-",
        "value": f'"{problem.value}"',
        "message": problem_message(problem),
    }


def problems_csv(problems: Problems) -> bytes:
    """Every problem as a gzip-compressed, semicolon-separated CSV (row, column, value, what is wrong),
    built columnar: a systematically wrong file can have millions of problems."""
    messages = _messages()
    frame = problems.frame.select(
        pl.col("row").cast(pl.String).fill_null("").alias(_("Row")),
        pl.col("column").alias(_("Column")),
        pl.col("value").alias(_("Value")),
        pl.col("code")
        .replace_strict(messages, default=pl.col("code"), return_dtype=pl.String)
        .str.replace("%(count)s", pl.col("count").cast(pl.String), literal=True)
        .alias(_("What is wrong")),
    )
    text = io.BytesIO()
    text.write("\ufeff".encode())  # Excel opens it as UTF-8
    frame.write_csv(text, separator=";")
    return gzip.compress(text.getvalue())
