"""Answer exports for researchers: the belief answers in force, pseudonymised, as CSV, XLSX, Stata
(.dta) or SPSS (.sav), each with a codebook.

What an export holds
--------------------
Two tables, built from the database with polars:

``specific``
    One row per wave × caseworker × citizen: every citizen in a caseworker's frozen caseload for the
    wave, plus any pair with an answer outside it. One column per specific item (named by the item's
    ``key``) holding the answer in force: the latest received (history is not exported).
``general``
    One row per wave × caseworker (frozen caseload or a general answer), one column per general item.

Citizens appear by their keyed pseudonym, caseworkers by a keyed pseudonym of their staff id (its
own namespace, so it links to nothing else); no CPR number, name, user name or e-mail is read.

"Ved ikke"
----------
"Don't know" is missing, not a scale point, and stays distinguishable from "not answered":

=========  ====================  =========================================  =====================
format     not answered          "Ved ikke"                                 flag ``<item>_dont_know``
=========  ====================  =========================================  =====================
CSV, XLSX  empty                 empty                                      1 = Ved ikke, 0 = answered
Stata      ``.`` (system)        ``.a`` (extended missing, labelled)        as in CSV
SPSS       system-missing        -1 (user-defined missing, labelled)        as in CSV
=========  ====================  =========================================  =====================

The flag is empty when the item was not answered at all. Every format carries it, so the variables
(and the codebook) are the same in all four.

Encodings
---------
CSV is UTF-8 *with* a byte-order mark, comma-separated, CRLF line ends (RFC 4180): Excel recognises
UTF-8 by the BOM and shows æ, ø and å correctly; R, Stata, pandas and polars skip it. Danish Excel
splits on semicolons when a CSV is double-clicked, so Excel users should take the XLSX format (or use
Data → Fra tekst/CSV). Text cells that a spreadsheet would run as a formula (starting with = + - @ or
a tab) get a leading apostrophe in CSV; in XLSX they are stored as plain text instead. Stata files are
format 118 (Stata 14+, UTF-8); SPSS files are UTF-8 .sav. Times are Danish local time
(Europe/Copenhagen) without an offset. XLSX is for modest exports: a sheet holds at most 1,048,575
rows (:class:`ExportTooLarge` otherwise), and openpyxl without lxml writes roughly a thousand rows a
second; CSV, Stata and SPSS write tens of thousands.

Labels
------
Variable labels are the Danish item wording; value labels the Danish answer labels. Stata labels
hold at most 80 characters and SPSS labels 256 bytes: longer wording is shortened with "…" in the
file, and the codebook always has it in full, in Danish and English, per instrument version. When
the exported waves used several instrument versions whose wording or answer options differ, the
codebook lists each version's wording and the data's ``instrument_version`` tells the rows apart.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Literal

import polars as pl
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from jobtro.audit.actions import record
from jobtro.audit.models import AuditEvent
from jobtro.lib.pseudonym import Pseudonymiser
from jobtro.measurement.models import Answer, Citizen, Item, Wave, WaveCaseload
from jobtro.organisation.models import Membership, Role

Format = Literal["csv", "xlsx", "dta", "sav"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "dta", "sav")
FORMAT_NAMES: dict[str, str] = {"csv": "CSV", "xlsx": "Excel (XLSX)", "dta": "Stata (.dta)", "sav": "SPSS (.sav)"}

DONT_KNOW_LABEL = "Ved ikke"
STATA_DONT_KNOW = "a"  # Stata's extended missing value .a
SPSS_DONT_KNOW = -1  # an SPSS user-defined missing value: never a scale point, a share or a yes/no
DONT_KNOW_SUFFIX = "_dont_know"
STATA_LABEL_CHARS = 80
SPSS_LABEL_BYTES = 256
STATA_NAME_CHARS = 32  # SPSS allows 64; names are made to fit both
# pyreadstat names a variable's value-label set after the variable plus a running number (up to three
# digits), and Stata's label names have the same 32 characters: so a name leaves room for that number.
NAME_CHARS = STATA_NAME_CHARS - 3
LOCAL_TIME_ZONE = "Europe/Copenhagen"
TABLE_TITLES = {
    "specific": "Specifik tro: én række pr. måling × sagsbehandler × borger",
    "general": "Generel tro: én række pr. måling × sagsbehandler",
}
CODEBOOK_COLUMNS = (
    "table",
    "variable",
    "label",
    "label_en",
    "type",
    "values",
    "missing",
    "instrument_versions",
    "n_nonmissing",
    "n_dont_know",
)

Kind = Literal["int", "str", "date", "datetime"]
Measure = Literal["nominal", "ordinal", "scale"]

_STATA_RESERVED = {
    "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n", "_pi",
    "_pred", "_rc", "_skip", "strl", "using", "with",
}  # fmt: skip
_SPSS_RESERVED = {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}
_STARTS_WITH_LETTER = re.compile(r"[A-Za-z]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_YES_NO = {1: "Ja", 0: "Nej"}

# Ordered answer kinds with a distinct "Ved ikke" (missing, not a point on the scale).
ORDINAL_KINDS = frozenset({Item.Kind.SCALE, Item.Kind.AGREE5})


# --- the dataset ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    """One meaning of an item: its wording and answer options, shared by one or more versions."""

    instrument: str
    versions: tuple[int, ...]
    version_ids: tuple[int, ...]
    text_da: str
    text_en: str
    kind: str
    value_labels: dict[int, str]  # Danish

    @property
    def versions_text(self) -> str:
        return f"{self.instrument} " + ", ".join(f"v{n}" for n in self.versions)


@dataclass
class Variable:
    name: str
    label: str  # Danish
    label_en: str
    kind: Kind
    measure: Measure = "nominal"
    value_labels: dict[int, str] = field(default_factory=dict)
    missing_meaning: str = ""  # what an empty cell means, in Danish
    item_key: str = ""  # set for an item's answer variable
    dont_know_flag: str = ""  # the name of the answer variable's "Ved ikke" flag, if it has one
    flag_of: str = ""  # set for a "Ved ikke" flag: the answer variable it belongs to
    wordings: list[Wording] = field(default_factory=list)
    n_nonmissing: int = 0
    n_dont_know: int | None = None
    # Per wording (same order as ``wordings``): answers with a value, and "Ved ikke" answers.
    counts_by_wording: list[tuple[int, int]] = field(default_factory=list)

    @property
    def has_dont_know(self) -> bool:
        return bool(self.dont_know_flag)


@dataclass
class Table:
    name: str  # "specific" / "general": file and sheet names
    title: str
    frame: pl.DataFrame
    variables: list[Variable]

    def variable(self, name: str) -> Variable:
        return next(v for v in self.variables if v.name == name)


@dataclass(frozen=True)
class WaveInfo:
    project_id: int
    project: str
    number: int
    name: str
    opens_on: date
    closes_on: date
    instrument: str
    version: int


@dataclass
class Dataset:
    tables: list[Table]
    waves: list[WaveInfo]
    created_at: datetime

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


def caseworker_pseudonymiser() -> Pseudonymiser:
    """Keyed pseudonyms of staff ids in their own namespace: stable across exports, unlinkable to
    anything else (and not reversible without the key)."""
    return Pseudonymiser(settings.JOBTRO_PSEUDONYM_KEY.encode(), namespace="caseworker")


def _fixed(name: str, label: str, label_en: str, kind: Kind, measure: Measure = "nominal", **more: Any) -> Variable:
    return Variable(name=name, label=label, label_en=label_en, kind=kind, measure=measure, **more)


def _leading_variables(table: str) -> list[Variable]:
    head = [
        _fixed("project", "Projekt (id)", "Project (id)", "int"),
        _fixed("wave", "Måling nr. (0 = baseline)", "Wave number (0 = baseline)", "int", "ordinal"),
        _fixed("wave_opens", "Målingen åbnede", "Wave opened on", "date", "scale"),
        _fixed("wave_closes", "Målingen lukkede", "Wave closed on", "date", "scale"),
        _fixed("instrument_version", "Instrumentversion", "Instrument version", "int", "ordinal"),
        _fixed(
            "municipality",
            "Kommunekode" + (" (borgerens)" if table == "specific" else " (sagsbehandlerens)"),
            "Municipality code" + (" (the citizen's)" if table == "specific" else " (the caseworker's)"),
            "str",
            missing_meaning="ukendt",
        ),
        _fixed(
            "team",
            "Team (enheds-id) for sagsbehandleren ved målingens start",
            "The caseworker's team (unit id) when the wave opened",
            "int",
            missing_meaning="intet team registreret",
        ),
        _fixed("caseworker", "Sagsbehandler (pseudonym)", "Caseworker (pseudonym)", "str"),
    ]
    if table == "specific":
        head += [
            _fixed("citizen", "Borger (pseudonym)", "Citizen (pseudonym)", "str"),
            _fixed("birth_year", "Borgerens fødselsår", "The citizen's birth year", "int", "scale"),
            _fixed("female", "Borgerens køn", "The citizen's sex", "int", value_labels={1: "Kvinde", 0: "Mand"}),
            _fixed("target_group", "Målgruppe", "Target group", "str", missing_meaning="ikke oplyst"),
            _fixed(
                "in_caseload",
                "Borgeren var i sagsbehandlerens frosne sagsstamme for målingen",
                "The citizen was in the caseworker's frozen caseload for the wave",
                "int",
                value_labels=dict(_YES_NO),
            ),
        ]
    else:
        head += [
            _fixed(
                "caseload_size",
                "Antal borgere i den frosne sagsstamme",
                "Citizens in the frozen caseload",
                "int",
                "scale",
            ),
            _fixed(
                "n_rated",
                "Antal borgere med et specifikt svar (også Ved ikke)",
                "Citizens with a specific answer (including don't know)",
                "int",
                "scale",
            ),
        ]
    head.append(
        _fixed(
            "answered_at",
            "Seneste svar i rækken (dansk tid)",
            "Latest answer in the row (Danish time)",
            "datetime",
            "scale",
            missing_meaning="intet svar",
        )
    )
    return head


def _variable_name(key: str, used: set[str], suffix: str = "") -> str:
    """A variable name valid in Stata (32 characters; at most 29, see :data:`NAME_CHARS`) and SPSS (64):
    ASCII letters, digits and underscores, starting with a letter, not a reserved word, unique in the table
    (case-insensitively, as SPSS compares names). Item keys are slugs, so this rarely changes anything;
    the codebook shows the name used."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", key)
    if not _STARTS_WITH_LETTER.match(base):
        base = "v" + base
    taken = {u.lower() for u in used}
    room = NAME_CHARS - len(suffix)
    name = base[:room] + suffix
    if name.lower() in _STATA_RESERVED | _SPSS_RESERVED:
        name += "_"
    n = 2
    while name.lower() in taken:
        tail = f"_{n}"
        name = base[: room - len(tail)] + tail + suffix
        n += 1
    used.add(name)
    return name


def _wordings(items: Sequence[Item], version_number: dict[int, int], instrument_of: dict[int, str]) -> list[Wording]:
    """Group one key's items by meaning: versions with identical wording and options share a wording."""
    groups: dict[tuple[Any, ...], list[Item]] = {}
    for item in sorted(items, key=lambda i: (instrument_of[i.version_id], version_number[i.version_id])):
        options = tuple((int(o["value"]), o.get("label_da", ""), o.get("label_en", "")) for o in item.options)
        signature = (instrument_of[item.version_id], item.text_da, item.text_en, item.kind, options)
        groups.setdefault(signature, []).append(item)
    wordings = []
    for group in groups.values():
        first = group[0]
        labels = {int(o["value"]): str(o.get("label_da", "")) for o in first.options}
        wordings.append(
            Wording(
                instrument=instrument_of[first.version_id],
                versions=tuple(version_number[i.version_id] for i in group),
                version_ids=tuple(i.version_id for i in group),
                text_da=first.text_da,
                text_en=first.text_en,
                kind=first.kind,
                value_labels=dict(sorted(labels.items())),
            )
        )
    return wordings


def _item_variables(
    scope: str, items: Sequence[Item], version_number: dict[int, int], instrument_of: dict[int, str], used: set[str]
) -> list[Variable]:
    by_key: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        if item.scope == scope:
            by_key[item.key].append(item)

    def order(key: str) -> tuple[int, int, str]:
        # Keys of the newest version first, by their position there; keys dropped earlier after them.
        newest = max(by_key[key], key=lambda i: version_number[i.version_id])
        return (-version_number[newest.version_id], newest.position, key)

    keys = sorted(by_key, key=order)
    variables: list[Variable] = []
    for key in keys:
        wordings = _wordings(by_key[key], version_number, instrument_of)
        newest = wordings[-1]
        label = newest.text_da
        label_en = newest.text_en
        if len(wordings) > 1:
            # Short, so the wording itself survives Stata's 80 characters; the codebook has every version.
            newest_versions = ",".join(f"v{n}" for n in newest.versions)
            label = f"[{newest_versions}; ordlyd ændret] {label}"
            label_en = f"[{newest_versions}; wording changed] {label_en}"
        kinds = {w.kind for w in wordings}
        name = _variable_name(key, used)
        variable = Variable(
            name=name,
            label=label,
            label_en=label_en,
            kind="int",
            measure="scale" if kinds == {Item.Kind.PERCENT} else "ordinal" if kinds & ORDINAL_KINDS else "nominal",
            value_labels=dict(newest.value_labels),
            missing_meaning="ikke besvaret",
            item_key=key,
            wordings=wordings,
        )
        variables.append(variable)
        if kinds & ORDINAL_KINDS:  # the belief scale and the staff questionnaire's agreement items have "Ved ikke"
            flag = _variable_name(key, used, DONT_KNOW_SUFFIX)
            variable.dont_know_flag = flag
            variables.append(
                Variable(
                    name=flag,
                    label=f"{DONT_KNOW_LABEL} til {name}"[:STATA_LABEL_CHARS],
                    label_en=f"Don't know for {name}",
                    kind="int",
                    value_labels={1: DONT_KNOW_LABEL, 0: "Besvaret med en værdi"},
                    missing_meaning="ikke besvaret",
                    flag_of=name,
                )
            )
    return variables


def _frame(rows: Iterable[tuple[Any, ...]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def _chunks(ids: Sequence[int], size: int = 5000) -> Iterable[list[int]]:
    """Ids in slices, so no query passes more parameters than SQLite allows."""
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _caseworker_placement(
    pairs: Iterable[tuple[int, int]], waves: dict[int, Wave]
) -> dict[tuple[int, int], tuple[str | None, int | None]]:
    """(municipality code, team unit id) per (wave, caseworker): the caseworker membership active
    when the wave opened, else one overlapping the wave, else the latest."""
    pairs = list(pairs)
    staff_ids = {s for _, s in pairs}
    memberships: dict[int, list[Membership]] = defaultdict(list)
    for ids in _chunks(sorted(staff_ids)):
        for m in Membership.objects.filter(role=Role.CASEWORKER, staff_id__in=ids).order_by("start", "pk"):
            memberships[m.staff_id].append(m)
    placed: dict[tuple[int, int], tuple[str | None, int | None]] = {}
    for wave_id, staff_id in pairs:
        wave = waves[wave_id]
        candidates = memberships.get(staff_id, [])
        opens, closes = wave.opens_on, wave.closes_on
        active = [m for m in candidates if m.start <= opens and (m.end is None or m.end > opens)]
        active = active or [m for m in candidates if m.start <= closes and (m.end is None or m.end > opens)]
        active = active or candidates
        chosen = active[-1] if active else None
        placed[(wave_id, staff_id)] = (chosen.municipality_id, chosen.unit_id) if chosen else (None, None)
    return placed


def build_dataset(waves: Iterable[Wave], *, now: datetime | None = None) -> Dataset:
    """The pseudonymised answers in force for ``waves``: a specific and a general table with their
    variables (names, labels, value labels, per-version wording and counts for the codebook)."""
    wave_list = sorted(
        Wave.objects.filter(pk__in=[w.pk for w in waves]).select_related("project", "instrument_version__instrument"),
        key=lambda w: (w.project_id, w.number),
    )
    wave_by_id = {w.pk: w for w in wave_list}
    wave_ids = list(wave_by_id)

    answers = _frame(
        Answer.objects.filter(wave_id__in=wave_ids)
        .values_list("id", "wave_id", "item_id", "caseworker_id", "citizen_id", "value", "dont_know", "received_at")
        .iterator(chunk_size=20_000),
        {
            "id": pl.Int64,
            "wave_id": pl.Int64,
            "item_id": pl.Int64,
            "caseworker_id": pl.Int64,
            "citizen_id": pl.Int64,
            "value": pl.Int64,
            "dont_know": pl.Boolean,
            "received_at": pl.Datetime("us", "UTC"),
        },
    )
    # The answer in force: the latest received per (wave, item, caseworker, citizen); id breaks ties.
    in_force = answers.sort(["received_at", "id"]).unique(
        subset=["wave_id", "item_id", "caseworker_id", "citizen_id"], keep="last", maintain_order=True
    )

    version_ids = {w.instrument_version_id for w in wave_list}
    answered_items = set(in_force["item_id"].unique().to_list())
    items = list(
        Item.objects.filter(Q(version_id__in=version_ids) | Q(pk__in=answered_items)).select_related(
            "version__instrument"
        )
    )
    version_number = {i.version_id: i.version.number for i in items}
    instrument_of = {i.version_id: i.version.instrument.name for i in items}
    item_frame = _frame(
        ((i.pk, i.key, i.scope, i.version_id) for i in items),
        {"item_id": pl.Int64, "key": pl.Utf8, "scope": pl.Utf8, "version_id": pl.Int64},
    )
    in_force = in_force.join(item_frame, on="item_id", how="left")

    caseload = _frame(
        WaveCaseload.objects.filter(wave_id__in=wave_ids).values_list("wave_id", "caseworker_id", "citizen_id"),
        {"wave_id": pl.Int64, "caseworker_id": pl.Int64, "citizen_id": pl.Int64},
    )
    wave_frame = _frame(
        ((w.pk, w.project_id, w.number, w.opens_on, w.closes_on, w.instrument_version.number) for w in wave_list),
        {
            "wave_id": pl.Int64,
            "project": pl.Int64,
            "wave": pl.Int64,
            "wave_opens": pl.Date,
            "wave_closes": pl.Date,
            "instrument_version": pl.Int64,
        },
    )
    pairs = set(caseload.select("wave_id", "caseworker_id").unique().iter_rows()) | set(
        in_force.select("wave_id", "caseworker_id").unique().iter_rows()
    )
    placement = _caseworker_placement(pairs, wave_by_id)
    pseudonymiser = caseworker_pseudonymiser()
    staff_frame = _frame(
        (
            (wave_id, staff_id, pseudonymiser.pseudonym(str(staff_id)), *placement[(wave_id, staff_id)])
            for wave_id, staff_id in sorted(pairs)
        ),
        {
            "wave_id": pl.Int64,
            "caseworker_id": pl.Int64,
            "caseworker": pl.Utf8,
            "caseworker_municipality": pl.Utf8,
            "team": pl.Int64,
        },
    )

    used_specific = {v.name for v in _leading_variables("specific")}
    used_general = {v.name for v in _leading_variables("general")}
    specific_items = _item_variables(Item.Scope.SPECIFIC, items, version_number, instrument_of, used_specific)
    # The staff questionnaire is answered per caseworker and wave like the general items: same table, after them.
    general_items = _item_variables(Item.Scope.GENERAL, items, version_number, instrument_of, used_general)
    general_items += _item_variables(Item.Scope.STAFF, items, version_number, instrument_of, used_general)

    specific = _specific_table(in_force, caseload, wave_frame, staff_frame, specific_items)
    general = _general_table(in_force, caseload, wave_frame, staff_frame, general_items)
    for table, item_variables in ((specific, specific_items), (general, general_items)):
        _count(table, in_force, item_variables)
    return Dataset(
        tables=[specific, general],
        waves=[
            WaveInfo(
                project_id=w.project_id,
                project=w.project.name,
                number=w.number,
                name=w.name,
                opens_on=w.opens_on,
                closes_on=w.closes_on,
                instrument=w.instrument_version.instrument.name,
                version=w.instrument_version.number,
            )
            for w in wave_list
        ],
        created_at=now or timezone.now(),
    )


def _join_items(
    rows: pl.DataFrame, answers: pl.DataFrame, index: list[str], item_variables: list[Variable]
) -> tuple[pl.DataFrame, list[str]]:
    at_columns = []
    for n, variable in enumerate(item_variables):
        if not variable.item_key:
            continue
        at = f"__at_{n}"
        at_columns.append(at)
        columns = [*index, pl.col("value").alias(variable.name), pl.col("received_at").alias(at)]
        if variable.has_dont_know:
            columns.append(pl.col("dont_know").cast(pl.Int64).alias(variable.dont_know_flag))
        sub = answers.filter(pl.col("key") == variable.item_key).select(columns)
        rows = rows.join(sub, on=index, how="left")
    return rows, at_columns


def _finish(rows: pl.DataFrame, at_columns: list[str], variables: list[Variable], sort: list[str]) -> pl.DataFrame:
    answered = pl.max_horizontal(at_columns) if at_columns else pl.lit(None, pl.Datetime("us", "UTC"))
    rows = rows.with_columns(
        answered.dt.convert_time_zone(LOCAL_TIME_ZONE).dt.replace_time_zone(None).alias("answered_at")
    )
    return rows.sort(sort, nulls_last=True).select([v.name for v in variables])


def _specific_table(
    in_force: pl.DataFrame,
    caseload: pl.DataFrame,
    wave_frame: pl.DataFrame,
    staff_frame: pl.DataFrame,
    item_variables: list[Variable],
) -> Table:
    index = ["wave_id", "caseworker_id", "citizen_id"]
    answers = in_force.filter(pl.col("scope") == Item.Scope.SPECIFIC)
    answered = answers.select(index).unique()
    rows = pl.concat(
        [
            caseload.unique().with_columns(in_caseload=pl.lit(1, pl.Int64)),
            answered.join(caseload, on=index, how="anti").with_columns(in_caseload=pl.lit(0, pl.Int64)),
        ]
    )
    # Only the non-identifying columns are read: never the encrypted CPR number or name.
    fields = ("pk", "pseudonym", "municipality_id", "birth_year", "female", "target_group")
    citizens = _frame(
        (
            (pk, pseudonym, municipality, birth_year, int(female), target_group or None)
            for ids in _chunks(rows["citizen_id"].unique().sort().to_list())
            for pk, pseudonym, municipality, birth_year, female, target_group in Citizen.objects.filter(
                pk__in=ids
            ).values_list(*fields)
        ),
        {
            "citizen_id": pl.Int64,
            "citizen": pl.Utf8,
            "municipality": pl.Utf8,
            "birth_year": pl.Int64,
            "female": pl.Int64,
            "target_group": pl.Utf8,
        },
    )
    rows = (
        rows.join(wave_frame, on="wave_id", how="left")
        .join(staff_frame, on=["wave_id", "caseworker_id"], how="left")
        .join(citizens, on="citizen_id", how="left")
    )
    rows, at_columns = _join_items(rows, answers, index, item_variables)
    variables = _leading_variables("specific") + item_variables
    frame = _finish(rows, at_columns, variables, ["project", "wave", "municipality", "caseworker", "citizen"])
    return Table("specific", TABLE_TITLES["specific"], frame, variables)


def _general_table(
    in_force: pl.DataFrame,
    caseload: pl.DataFrame,
    wave_frame: pl.DataFrame,
    staff_frame: pl.DataFrame,
    item_variables: list[Variable],
) -> Table:
    index = ["wave_id", "caseworker_id"]
    answers = in_force.filter(pl.col("scope").is_in([Item.Scope.GENERAL, Item.Scope.STAFF]))
    sizes = caseload.group_by(index).agg(pl.col("citizen_id").n_unique().cast(pl.Int64).alias("caseload_size"))
    rated = (
        in_force.filter(pl.col("scope") == Item.Scope.SPECIFIC)
        .group_by(index)
        .agg(pl.col("citizen_id").n_unique().cast(pl.Int64).alias("n_rated"))
    )
    rows = pl.concat([caseload.select(index), answers.select(index)]).unique()
    rows = (
        rows.join(sizes, on=index, how="left")
        .join(rated, on=index, how="left")
        .with_columns(pl.col("caseload_size").fill_null(0), pl.col("n_rated").fill_null(0))
        .join(wave_frame, on="wave_id", how="left")
        .join(staff_frame, on=index, how="left")
        .rename({"caseworker_municipality": "municipality"})
    )
    rows, at_columns = _join_items(rows, answers, index, item_variables)
    variables = _leading_variables("general") + item_variables
    frame = _finish(rows, at_columns, variables, ["project", "wave", "municipality", "caseworker"])
    return Table("general", TABLE_TITLES["general"], frame, variables)


def _count(table: Table, in_force: pl.DataFrame, item_variables: list[Variable]) -> None:
    frame = table.frame
    for variable in table.variables:
        variable.n_nonmissing = frame.height - frame[variable.name].null_count()
        if variable.has_dont_know:
            variable.n_dont_know = int((frame[variable.dont_know_flag] == 1).sum())
        if variable.item_key:
            answers = in_force.filter(pl.col("key") == variable.item_key)
            variable.counts_by_wording = []
            for wording in variable.wordings:
                mine = answers.filter(pl.col("version_id").is_in(list(wording.version_ids)))
                dont_know = int(mine["dont_know"].sum())
                variable.counts_by_wording.append((mine.height - dont_know, dont_know))


# --- writing ----------------------------------------------------------------------------------------

XLSX_MAX_ROWS = 1_048_576  # Excel's limit, the heading row included


class ExportTooLarge(ValueError):
    """A table has more rows than the format can hold (XLSX)."""

    def __init__(self, table: str, rows: int) -> None:
        super().__init__(f"the {table} table has {rows} rows; XLSX holds at most {XLSX_MAX_ROWS - 1}")
        self.table = table
        self.rows = rows


def _values_text(labels: dict[int, str]) -> str:
    return "; ".join(f"{value} = {label}" for value, label in sorted(labels.items()))


_SYSTEM_MISSING = {"csv": "tom", "xlsx": "tom", "dta": ".", "sav": "system-missing"}


def _missing_text(variable: Variable, fmt: Format) -> str:
    parts = []
    if variable.missing_meaning:
        parts.append(f"{_SYSTEM_MISSING[fmt]} = {variable.missing_meaning}")
    if variable.has_dont_know:
        if fmt == "dta":
            parts.append(f".{STATA_DONT_KNOW} = {DONT_KNOW_LABEL} (udvidet manglende værdi)")
        elif fmt == "sav":
            parts.append(f"{SPSS_DONT_KNOW} = {DONT_KNOW_LABEL} (brugerdefineret manglende værdi)")
        else:
            parts.append(f"tom med {variable.dont_know_flag} = 1: {DONT_KNOW_LABEL}")
    return "; ".join(parts)


def _type_text(variable: Variable) -> str:
    return {"int": "integer", "str": "string", "date": "date", "datetime": "datetime"}[variable.kind]


def codebook_rows(dataset: Dataset, fmt: Format) -> list[dict[str, str]]:
    """The codebook: one row per variable, and for an item whose wording or answer options changed
    between the exported instrument versions, one row per wording (meaning is never merged)."""
    rows = []
    for table in dataset.tables:
        for variable in table.variables:
            common = {
                "table": table.name,
                "variable": variable.name,
                "type": _type_text(variable),
                "missing": _missing_text(variable, fmt),
            }
            if variable.item_key:
                for wording, (n_values, n_dont_know) in zip(variable.wordings, variable.counts_by_wording, strict=True):
                    values = (
                        "0–100 (procent)" if wording.kind == Item.Kind.PERCENT else _values_text(wording.value_labels)
                    )
                    if variable.has_dont_know and fmt in ("dta", "sav") and wording.kind in ORDINAL_KINDS:
                        code = f".{STATA_DONT_KNOW}" if fmt == "dta" else str(SPSS_DONT_KNOW)
                        values += f"; {code} = {DONT_KNOW_LABEL}"
                    rows.append(
                        common
                        | {
                            "label": wording.text_da,
                            "label_en": wording.text_en,
                            "values": values,
                            "instrument_versions": wording.versions_text,
                            "n_nonmissing": str(n_values),
                            "n_dont_know": str(n_dont_know) if variable.has_dont_know else "",
                        }
                    )
                continue
            versions = ""
            if variable.flag_of:
                answer = table.variable(variable.flag_of)
                versions = "; ".join(w.versions_text for w in answer.wordings)
            rows.append(
                common
                | {
                    "label": variable.label,
                    "label_en": variable.label_en,
                    "values": _values_text(variable.value_labels),
                    "instrument_versions": versions,
                    "n_nonmissing": str(variable.n_nonmissing),
                    "n_dont_know": "",
                }
            )
    return rows


def data_file_names(fmt: Format) -> list[str]:
    if fmt == "xlsx":
        return ["answers.xlsx"]
    return [f"answers_specific.{fmt}", f"answers_general.{fmt}"]


CODEBOOK_FILES = ["codebook.md", "codebook.csv"]


def _formula_safe(text: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV only)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return _formula_safe(value)
    return str(value)


def _write_csv_rows(handle: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell_text(v) for v in row])


def write_csv(table: Table, path: Path) -> None:
    # utf-8-sig writes the byte-order mark Excel needs to read UTF-8 (module docstring).
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        _write_csv_rows(handle, table.frame.columns, table.frame.iter_rows())


def write_xlsx(dataset: Dataset, path: Path, fmt: Format = "xlsx") -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    too_long = [t for t in dataset.tables if t.frame.height >= XLSX_MAX_ROWS]
    if too_long:
        raise ExportTooLarge(too_long[0].name, too_long[0].frame.height)
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def cell(sheet: Any, value: Any) -> Any:
        # Numbers, dates and empty cells go in as they are (openpyxl formats dates as ISO dates);
        # text is cleaned of control characters XML cannot hold and never becomes a formula.
        if not isinstance(value, str):
            return value
        c = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        c.data_type = "s"
        return c

    def header(sheet: Any, names: Sequence[str]) -> None:
        row = []
        for name in names:
            c = cell(sheet, name)
            c.font = bold
            row.append(c)
        sheet.append(row)

    for table in dataset.tables:
        sheet = workbook.create_sheet(table.name)
        sheet.freeze_panes = "A2"
        header(sheet, table.frame.columns)
        for values in table.frame.iter_rows():
            sheet.append([cell(sheet, v) for v in values])
    sheet = workbook.create_sheet("codebook")
    sheet.freeze_panes = "A2"
    header(sheet, CODEBOOK_COLUMNS)
    for row in codebook_rows(dataset, fmt):
        sheet.append([cell(sheet, _int_or_text(row[c])) for c in CODEBOOK_COLUMNS])
    workbook.save(path)


def _int_or_text(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _fit(text: str, *, chars: int | None = None, utf8_bytes: int | None = None) -> str:
    """``text`` shortened with "…" to at most ``chars`` characters / ``utf8_bytes`` bytes."""

    def fits(t: str) -> bool:
        return (chars is None or len(t) <= chars) and (utf8_bytes is None or len(t.encode("utf-8")) <= utf8_bytes)

    if fits(text):
        return text
    cut = len(text)
    while cut > 0 and not fits(text[:cut].rstrip() + "…"):
        cut -= 1
    return text[:cut].rstrip() + "…"


def _pandas_frame(table: Table, fmt: Format) -> Any:
    """The table as a pandas frame for pyreadstat, with the format's "Ved ikke" code in each item
    column. Whole numbers become doubles: pyreadstat writes a missing value in an integer column as
    0, which would silently turn "not answered" into an answer."""
    import numpy as np
    import pandas as pd

    columns: dict[str, Any] = {}
    for variable in table.variables:
        values = table.frame[variable.name].to_list()
        if variable.kind == "int":
            numbers: list[Any] = [float(v) if v is not None else np.nan for v in values]
            if variable.has_dont_know:
                flags = table.frame[variable.dont_know_flag].to_list()
                code: Any = STATA_DONT_KNOW if fmt == "dta" else float(SPSS_DONT_KNOW)
                numbers = [code if flag == 1 else n for n, flag in zip(numbers, flags, strict=True)]
                columns[variable.name] = pd.Series(numbers, dtype=object if fmt == "dta" else "float64")
            else:
                columns[variable.name] = pd.Series(numbers, dtype="float64")
        elif variable.kind == "str":
            columns[variable.name] = pd.Series(["" if v is None else v for v in values], dtype=object)
        elif variable.kind == "date":
            columns[variable.name] = pd.Series(values, dtype=object)
        else:
            columns[variable.name] = pd.Series(pd.to_datetime(values), dtype="datetime64[us]")
    return pd.DataFrame(columns, index=range(table.frame.height))


def _value_labels(table: Table, fmt: Format) -> dict[str, dict[Any, str]]:
    labels: dict[str, dict[Any, str]] = {}
    for variable in table.variables:
        mapping: dict[Any, str] = {float(k): v for k, v in variable.value_labels.items()}
        if variable.has_dont_know:
            mapping[STATA_DONT_KNOW if fmt == "dta" else float(SPSS_DONT_KNOW)] = DONT_KNOW_LABEL
        if mapping:
            labels[variable.name] = mapping
    return labels


def write_dta(table: Table, path: Path) -> None:
    import pyreadstat

    pyreadstat.write_dta(
        _pandas_frame(table, "dta"),
        str(path),
        file_label=_fit(f"jobtro: {table.title}", chars=STATA_LABEL_CHARS),
        column_labels={v.name: _fit(v.label, chars=STATA_LABEL_CHARS) for v in table.variables},
        version=14,  # format 118: UTF-8, read by Stata 14 and every later version
        variable_value_labels=_value_labels(table, "dta"),
        missing_user_values={v.name: [STATA_DONT_KNOW] for v in table.variables if v.has_dont_know},
    )


def write_sav(table: Table, path: Path) -> None:
    import pyreadstat

    formats = {}
    for v in table.variables:
        if v.kind == "int":
            formats[v.name] = "F8.0"
    pyreadstat.write_sav(
        _pandas_frame(table, "sav"),
        str(path),
        file_label=_fit(f"jobtro: {table.name}", utf8_bytes=64),
        column_labels={v.name: _fit(v.label, utf8_bytes=SPSS_LABEL_BYTES) for v in table.variables},
        note=[
            _fit(table.title, utf8_bytes=80),
            f"{DONT_KNOW_LABEL} = {SPSS_DONT_KNOW} (brugerdefineret manglende værdi). Kodebog: codebook.md",
        ],
        variable_value_labels=_value_labels(table, "sav"),
        missing_ranges={v.name: [float(SPSS_DONT_KNOW)] for v in table.variables if v.has_dont_know},
        variable_measure={v.name: v.measure for v in table.variables},
        variable_format=formats,
    )


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def codebook_markdown(dataset: Dataset, fmt: Format) -> str:
    rows = codebook_rows(dataset, fmt)
    created = timezone.localtime(dataset.created_at)
    out = [
        "# Kodebog: svar fra trosbarometeret (jobtro)",
        "",
        f"Eksporteret {created:%Y-%m-%d %H:%M} (dansk tid) som {FORMAT_NAMES[fmt]}. "
        f"Filer: {', '.join(data_file_names(fmt))}.",
        "",
        "Pseudonymiseret: borgere og sagsbehandlere optræder kun med nøglebaserede pseudonymer "
        "(aldrig CPR-nummer, navn eller brugernavn). Hvert svar er det gældende: det senest modtagne "
        "pr. måling, spørgsmål, sagsbehandler og borger.",
        "",
        "## Manglende værdier",
        "",
        f"«{DONT_KNOW_LABEL}» er en manglende værdi, ikke et skalatrin, og adskiller sig fra «ikke besvaret»:",
        "",
    ]
    if fmt == "dta":
        out.append(
            f"- `.` = ikke besvaret; `.{STATA_DONT_KNOW}` = {DONT_KNOW_LABEL} (udvidet manglende værdi, med label)."
        )
    elif fmt == "sav":
        out.append(
            f"- system-missing = ikke besvaret; `{SPSS_DONT_KNOW}` = {DONT_KNOW_LABEL} "
            "(brugerdefineret manglende værdi, med label)."
        )
    else:
        out.append(f"- tom celle = ikke besvaret eller {DONT_KNOW_LABEL}.")
    out += [
        f"- `<spørgsmål>{DONT_KNOW_SUFFIX}`: 1 = {DONT_KNOW_LABEL}, 0 = besvaret med en værdi, tom = ikke besvaret.",
        "",
    ]
    if fmt == "csv":
        out += [
            "CSV-filerne er UTF-8 med BOM (så Excel viser æ, ø og å rigtigt), kommasepareret, "
            "linjeskift CRLF. Tekst der begynder med = + - @ har fået en foranstillet apostrof, "
            "så et regneark ikke udfører den som formel.",
            "",
        ]
    out += [
        "Tidspunkter er dansk tid (Europe/Copenhagen). Labels i Stata er højst 80 tegn og i SPSS højst "
        "256 bytes; længere ordlyd er forkortet med «…» i datafilen og står fuldt her.",
        "",
        "## Målinger",
        "",
        "| projekt | måling | navn | åbnede | lukkede | instrument |",
        "|---|---|---|---|---|---|",
    ]
    for w in dataset.waves:
        out.append(
            f"| {w.project_id} {_markdown_cell(w.project)} | {w.number} | {_markdown_cell(w.name)} | "
            f"{w.opens_on} | {w.closes_on} | {_markdown_cell(w.instrument)} v{w.version} |"
        )
    for table in dataset.tables:
        out += [
            "",
            f"## {table.name}: {table.title}",
            "",
            f"{table.frame.height} rækker.",
            "",
            "| " + " | ".join(CODEBOOK_COLUMNS[1:]) + " |",
            "|" + "---|" * (len(CODEBOOK_COLUMNS) - 1),
        ]
        for row in rows:
            if row["table"] == table.name:
                out.append("| " + " | ".join(_markdown_cell(row[c]) for c in CODEBOOK_COLUMNS[1:]) + " |")
    changed = [(t, v) for t in dataset.tables for v in t.variables if len(v.wordings) > 1]
    if changed:
        out += ["", "## Ordlyd der er ændret mellem instrumentversioner", ""]
        out.append(
            "Disse spørgsmål blev stillet med forskellig ordlyd eller forskellige svarmuligheder i de "
            "eksporterede målinger. Variablen `instrument_version` viser, hvilken ordlyd en række svarede på."
        )
        for table, variable in changed:
            out += ["", f"### {table.name}.{variable.name}", ""]
            for wording in variable.wordings:
                options = _values_text(wording.value_labels) or "0–100 (procent)"
                out.append(f"- **{wording.versions_text}**: {wording.text_da} ({wording.text_en}) — {options}")
    return "\n".join(out) + "\n"


def write_codebook(dataset: Dataset, fmt: Format, directory: Path) -> list[Path]:
    markdown = directory / "codebook.md"
    markdown.write_text(codebook_markdown(dataset, fmt), encoding="utf-8")
    table = directory / "codebook.csv"
    with table.open("w", encoding="utf-8-sig", newline="") as handle:
        _write_csv_rows(
            handle, CODEBOOK_COLUMNS, ([r[c] for c in CODEBOOK_COLUMNS] for r in codebook_rows(dataset, fmt))
        )
    return [markdown, table]


def write_files(dataset: Dataset, fmt: Format, directory: Path) -> list[Path]:
    """Write the data files and the codebook for ``fmt`` into ``directory``; return their paths."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (expected one of {', '.join(FORMATS)})")
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if fmt == "xlsx":
        path = directory / "answers.xlsx"
        write_xlsx(dataset, path)
        written.append(path)
    else:
        writer = {"csv": write_csv, "dta": write_dta, "sav": write_sav}[fmt]
        for table in dataset.tables:
            path = directory / f"answers_{table.name}.{fmt}"
            writer(table, path)
            written.append(path)
    return written + write_codebook(dataset, fmt, directory)


def write_zip(dataset: Dataset, fmt: Format, target: IO[bytes]) -> list[str]:
    """Write a zip with the data files and the codebook to ``target``; return the member names."""
    with tempfile.TemporaryDirectory(prefix="jobtro-export-") as tmp:
        paths = write_files(dataset, fmt, Path(tmp))
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, arcname=path.name)
    return [p.name for p in paths]


def zip_bytes(dataset: Dataset, fmt: Format) -> bytes:
    buffer = io.BytesIO()
    write_zip(dataset, fmt, buffer)
    return buffer.getvalue()


def record_export(dataset: Dataset, fmt: Format, *, files: Sequence[str], destination: str = "") -> AuditEvent:
    """The export in the audit log: a read of pseudonymised data in bulk (no identities are read)."""
    detail: dict[str, Any] = {
        "export": {
            "format": fmt,
            "waves": [{"project": w.project_id, "number": w.number} for w in dataset.waves],
            "rows": {t.name: t.frame.height for t in dataset.tables},
            "files": list(files),
        }
    }
    if destination:
        detail["export"]["destination"] = destination
    return record(
        AuditEvent.Action.BULK,
        object_type="measurement.Answer",
        object_repr=f"Svareksport ({FORMAT_NAMES[fmt]})",
        detail=detail,
    )
