"""Shared by bench/rating_page.py and bench/load_answers.py: a throw-away database configured as in
production (DEBUG off, freshly generated secrets), caseworkers with frozen caseloads in an open wave,
sessions made straight in the database, percentiles and a line about the machine.

Nothing here is imported by the application; the scripts put the checkout on ``sys.path`` themselves.
"""

from __future__ import annotations

import math
import os
import platform
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]

# Names with æ, ø and å, so that the page's Danish sort order has work to do.
FIRST_NAMES = (
    "Anna",
    "Bo",
    "Carl",
    "Dorte",
    "Erik",
    "Frida",
    "Gustav",
    "Hanne",
    "Ib",
    "Jens",
    "Karen",
    "Lars",
    "Mette",
    "Niels",
    "Ole",
    "Pia",
    "Rasmus",
    "Søren",
    "Tove",
    "Ulla",
    "Vibeke",
    "Åse",
    "Ærø",
    "Øjvind",
    "Mads",
    "Line",
    "Sofie",
    "Emil",
    "Ida",
    "Noah",
    "Freja",
    "Oliver",
    "Alma",
    "Magnus",
    "Clara",
    "Mikkel",
)
LAST_NAMES = (
    "Andersen",
    "Berg",
    "Clausen",
    "Dahl",
    "Eriksen",
    "Frederiksen",
    "Hansen",
    "Jensen",
    "Kristensen",
    "Larsen",
    "Madsen",
    "Nielsen",
    "Olsen",
    "Pedersen",
    "Rasmussen",
    "Sørensen",
    "Thomsen",
    "Ærbo",
    "Østergaard",
    "Ågård",
    "Holm",
    "Jakobsen",
    "Mortensen",
    "Poulsen",
    "Schmidt",
)


# --- environment -------------------------------------------------------------------------------------


def production_env(var_dir: Path, database_url: str | None) -> dict[str, str]:
    """The environment variables of a production start (README, "Running it in production"), with
    secrets generated for this run only. JOBTRO_DEBUG is left unset, so DEBUG is off."""
    sys.path.insert(0, str(ROOT))
    from jobtro.lib.encryption import generate_key

    env = {
        "DJANGO_SETTINGS_MODULE": "jobtro.settings",
        "JOBTRO_VAR_DIR": str(var_dir),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JOBTRO_PSEUDONYM_KEY": secrets.token_urlsafe(48),
        "JOBTRO_ENCRYPTION_KEYS": generate_key(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def apply_env(env: dict[str, str]) -> None:
    for name in ("JOBTRO_DEBUG", "DATABASE_URL", "SECRET_KEY_FILE", "JOBTRO_PSEUDONYM_KEY_FILE"):
        os.environ.pop(name, None)
    os.environ.update(env)


def _pg_parts(url: str) -> tuple[dict[str, Any], str]:
    sys.path.insert(0, str(ROOT))
    from jobtro.lib.settings_env import parse_database_url

    db = parse_database_url(url)
    if not db["ENGINE"].endswith("postgresql"):
        raise SystemExit("--database-url must be a postgres:// URL (SQLite needs no URL: it is the default)")
    conn = {"host": db["HOST"] or None, "port": db["PORT"] or None, "user": db["USER"] or None}
    if db["PASSWORD"]:
        conn["password"] = db["PASSWORD"]
    return conn, db["NAME"]


@contextmanager
def postgres_database(url: str, *, keep: bool = False) -> Iterator[str]:
    """Create the (new) database the URL names, yield the URL, drop the database afterwards.

    Refuses a database that exists already, so a benchmark never writes into someone's data."""
    import psycopg
    from psycopg import sql

    conn, name = _pg_parts(url)
    with psycopg.connect(dbname="postgres", autocommit=True, **conn) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise SystemExit(f"database {name!r} exists already; name a new one (it is dropped afterwards)")
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url
    finally:
        if keep:
            print(f"kept database {name!r}", file=sys.stderr)
        else:
            with psycopg.connect(dbname="postgres", autocommit=True, **conn) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def with_database_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def postgres_rollbacks(url: str) -> int:
    """PostgreSQL's count of rolled-back transactions in the database (pg_stat_database.xact_rollback)."""
    import psycopg

    conn, name = _pg_parts(url)
    with psycopg.connect(dbname=name, **conn) as c:
        row = c.execute("SELECT xact_rollback FROM pg_stat_database WHERE datname = %s", [name]).fetchone()
    return int(row[0]) if row else 0


def postgres_version(url: str) -> str:
    import psycopg

    conn, name = _pg_parts(url)
    with psycopg.connect(dbname=name, **conn) as c:
        row = c.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0] if row else '?'}"


@contextmanager
def temporary_dir(prefix: str, keep: bool = False) -> Iterator[Path]:
    import tempfile

    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


def prepare_database(*, verbosity: int = 0) -> None:
    """migrate and collectstatic (the manifest static storage of DEBUG off needs the latter)."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("collectstatic", interactive=False, verbosity=verbosity)


# --- the fixture --------------------------------------------------------------------------------------


@dataclass
class Fixture:
    project: Any
    wave: Any
    caseworkers: list[Any]
    caseloads: dict[int, list[int]]  # caseworker pk -> citizen pks
    items: dict[str, Any] = field(default_factory=dict)


def _cpr(rng: Random, used: set[str]) -> str:
    from jobtro.lib.cpr import build

    while True:
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 44))
        number = build(born, rng.random() < 0.5, rng.randrange(400))
        if number not in used:
            used.add(number)
            return number


def build_fixture(
    *, caseworkers: int, caseload: int, seed: int, municipality: str = "0740", extra_empty: int = 0
) -> Fixture:
    """A project whose baseline wave opened today-ish, ``caseworkers`` caseworkers with ``caseload``
    citizens each (identities sealed as the import seals them), frozen by actions.open_wave.

    Bulk-created (like the demo loader) with one BULK audit event; ``extra_empty`` more caseworkers
    get no citizens (their rating page says there is nothing to rate)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from jobtro.audit.actions import record
    from jobtro.audit.models import AuditEvent
    from jobtro.measurement.actions import open_wave, plan_waves
    from jobtro.measurement.identity import seal
    from jobtro.measurement.models import CaseworkerAssignment, Citizen, Item
    from jobtro.organisation.models import Membership, Municipality, Participation, Project, Role, Staff, Unit

    rng = Random(seed)  # noqa: S311 - benchmark data, not security
    today = timezone.localdate()
    start = today - timedelta(days=2)  # the baseline wave opens on the project's first day, open 14 days
    with transaction.atomic():
        place = Municipality.objects.get(code=municipality)
        project = Project.objects.create(name="Benchmark: troen på borgernes jobchance", start_date=start)
        Participation.objects.create(project=project, municipality=place, joined=start)
        centre = Unit.objects.create(municipality=place, kind=Unit.Kind.JOB_CENTRE, name="Jobcenter (benchmark)")
        teams = [
            Unit.objects.create(municipality=place, parent=centre, kind=Unit.Kind.TEAM, name=f"Team {i + 1}")
            for i in range((caseworkers + extra_empty) // 10 + 1)
        ]
        unusable = make_password(None)
        staff = Staff.objects.bulk_create(
            Staff(
                username=f"bench-caseworker-{i:04d}",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                password=unusable,
            )
            for i in range(caseworkers + extra_empty)
        )
        Membership.objects.bulk_create(
            Membership(
                staff=person,
                role=Role.CASEWORKER,
                municipality=place,
                unit=teams[i // 10],
                start=start - timedelta(days=365),
            )
            for i, person in enumerate(staff)
        )
        used: set[str] = set()
        owners: list[Any] = []
        citizens: list[Any] = []
        for person in staff[:caseworkers]:
            for _ in range(caseload):
                sealed = seal(_cpr(rng, used), f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}")
                citizens.append(
                    Citizen(
                        municipality=place,
                        pseudonym=sealed.pseudonym,
                        cpr_encrypted=sealed.cpr_encrypted,
                        name_encrypted=sealed.name_encrypted,
                        birth_year=sealed.birth_year,
                        female=sealed.female,
                        target_group="aktivitetsparat kontanthjælpsmodtager",
                    )
                )
                owners.append(person)
        citizens = Citizen.objects.bulk_create(citizens, batch_size=1000)
        CaseworkerAssignment.objects.bulk_create(
            (
                CaseworkerAssignment(citizen=c, caseworker=w, start=start - timedelta(days=30))
                for c, w in zip(citizens, owners, strict=True)
            ),
            batch_size=1000,
        )
        record(
            AuditEvent.Action.BULK,
            project,
            detail={"loaded": "benchmark fixture", "caseworkers": len(staff), "citizens": len(citizens)},
        )
        wave = plan_waves(project)[0]
    open_wave(wave)
    wave.refresh_from_db()
    caseloads: dict[int, list[int]] = {p.pk: [] for p in staff}
    for c, w in zip(citizens, owners, strict=True):
        caseloads[w.pk].append(c.pk)
    items = {i.key: i for i in Item.objects.filter(version_id=wave.instrument_version_id)}
    return Fixture(project=project, wave=wave, caseworkers=list(staff), caseloads=caseloads, items=items)


def session_cookie(user: Any) -> str:
    """A logged-in session for ``user`` written straight into the session table (what the login form
    would store), so that 200 clients need not each pay a password hash. Returns the session key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    assert store.session_key is not None
    return store.session_key


# --- reporting ----------------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    values = sorted(s * 1000 for s in seconds)
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": values[-1] if values else math.nan,
        "mean": sum(values) / len(values) if values else math.nan,
    }


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kib / 1024**2:.0f} GiB"
    except (OSError, ValueError, IndexError):
        mem = "?"
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores ({cpu}), {mem} RAM, {system}, Python {platform.python_version()}"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def busy_processes(limit: int = 4) -> str:
    """The processes using most CPU right now (other test suites on the shared machine), for the note."""
    try:
        out = subprocess.run(
            ["/bin/ps", "-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "?"
    rows = [line.split(None, 1) for line in out.splitlines()[:limit] if line.strip()]
    return ", ".join(f"{name.strip()} {cpu}%" for cpu, name in rows if len(rows) and cpu)
