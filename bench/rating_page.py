"""Benchmark: the rating page (GET, a caseload of 60) and saving one answer (htmx POST), in-process.

Usage::

    .venv/bin/python bench/rating_page.py                       # SQLite in a temporary JOBTRO_VAR_DIR
    .venv/bin/python bench/rating_page.py --database-url postgres://postgres@127.0.0.1:5432/jobtro_bench

A PostgreSQL database named in the URL must not exist: it is created, and dropped afterwards. Settings
are production's (DEBUG off, freshly generated secrets, collected static files). Requests go through
Django's test ``Client`` in this process (the whole middleware stack, sessions, CSRF checks enforced,
no network and no WSGI server), one at a time, each timed from the call to the full response. Before
timing, a caseworker with 60 citizens (identities sealed) is frozen into an open wave and half the
caseload is answered, so the page shows a mix of answered and open questions.

The test client keeps one database connection open; the rows "new DB connection each" close it
before every timed request, as production does (CONN_MAX_AGE is not set, so Django's 0 applies and
every request connects anew).

Printed as Markdown: p50/p95/p99/max in ms and the SQL statements of one request, next to two peers
on the same machine: the login page (anonymous; the framework and base template) and the same rating
view for a caseworker with an empty caseload (session, auth, roles and base template).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _rating_fixture as fx

TARGETS_MS = {"rating page GET": 150.0, "answer POST": 50.0}
FORM = re.compile(r'<form class="rating-group" id="q-(\d+)-(\w+)" data-kind="(\w+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _time(
    run: Callable[[], Any], n: int, warmup: int, check: Callable[[Any], None], reconnect: bool = False
) -> list[float]:
    """Wall times of ``n`` calls after ``warmup`` untimed ones. With ``reconnect`` the database connection
    is closed after each call, so the next one opens a new one inside its timing - what every request
    pays when CONN_MAX_AGE is 0 (jobtro's settings leave it at Django's default, 0). Without it the
    test client keeps one connection open for all requests."""
    from django.db import connection

    for _ in range(warmup):
        check(run())
    took = []
    for _ in range(n):
        if reconnect:
            connection.close()
        began = time.perf_counter()
        response = run()
        took.append(time.perf_counter() - began)
        check(response)
    return took


def _queries(run: Callable[[], Any]) -> tuple[int, list[str]]:
    """How many SQL statements one request sends (BEGIN and COMMIT included, as Django logs them), and
    the statements with each one's wall time in ms (round trip included; BEGIN/COMMIT not timed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timed_sql: list[str] = []

    def timed(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed_sql.append(f"{(time.perf_counter() - began) * 1000:6.2f} ms  {sql}")

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
        run()
    return len(captured), timed_sql


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", help="a new PostgreSQL database (created, then dropped); default SQLite")
    parser.add_argument("-n", type=int, default=200, help="timed requests per measurement (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first (default 20)")
    parser.add_argument("--caseload", type=int, default=60, help="citizens in the caseload (default 60)")
    parser.add_argument("--others", type=int, default=20, help="other caseworkers with caseloads (default 20)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--show-queries", action="store_true", help="print the SQL of one GET and one POST")
    parser.add_argument("--profile", action="store_true", help="cProfile 50 page GETs, print the top functions")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and database")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a p95 misses its target")
    args = parser.parse_args(argv)

    with fx.temporary_dir("jobtro-bench-", keep=args.keep) as var_dir:
        if args.database_url:
            with fx.postgres_database(args.database_url, keep=args.keep) as url:
                return _run(args, var_dir, url)
        return _run(args, var_dir, None)


def _run(args: argparse.Namespace, var_dir: Path, database_url: str | None) -> int:
    load_before = fx.load_average()
    busy_before = fx.busy_processes()
    fx.apply_env(fx.production_env(var_dir, database_url))
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from jobtro.measurement.actions import record_answer
    from jobtro.measurement.models import Answer

    assert not settings.DEBUG
    began = time.perf_counter()
    fx.prepare_database()
    fixture = fx.build_fixture(caseworkers=1 + args.others, caseload=args.caseload, seed=args.seed, extra_empty=1)
    set_up = time.perf_counter() - began
    wave, items = fixture.wave, fixture.items
    me, empty = fixture.caseworkers[0], fixture.caseworkers[-1]
    mine = fixture.caseloads[me.pk]
    rng = Random(args.seed)  # noqa: S311 - benchmark data, not security

    # Half the caseload answered already, and the yes/no general item: a page in the middle of the work.
    for citizen_id in mine[: len(mine) // 2]:
        record_answer(
            wave=wave,
            item=items["specific_belief"],
            caseworker=me,
            citizen=fixture.wave.caseload.get(citizen_id=citizen_id).citizen,
            value=rng.randint(1, 5),
            request_id=uuid.uuid4(),
        )
    general = items["general_believes"]
    record_answer(wave=wave, item=general, caseworker=me, citizen=None, value=1, request_id=uuid.uuid4())

    page_url = reverse("rate_wave", args=[wave.pk])
    client = Client(enforce_csrf_checks=True)
    client.force_login(me)
    first = client.get(page_url)
    html = first.content.decode()
    forms = FORM.findall(html)
    csrf = CSRF.search(html)
    specific = [(int(i), int(c)) for i, c, kind in forms if c != "general"]
    if first.status_code != 200 or csrf is None or len(specific) != args.caseload:
        raise SystemExit(f"unexpected rating page: status {first.status_code}, {len(specific)} citizens")
    answer_url = reverse("rate_answer", args=[wave.pk])
    token = csrf.group(1)

    def get_page() -> Any:
        return client.get(page_url)

    def page_ok(response: Any) -> None:
        if response.status_code != 200 or b"rating-citizen" not in response.content:
            raise SystemExit(f"rating page failed: {response.status_code}")

    def post_answer() -> Any:
        item_id, citizen_id = rng.choice(specific)
        value = rng.choice(["1", "2", "3", "4", "5", "dk"])
        data = {
            "csrfmiddlewaretoken": token,
            "item": str(item_id),
            "citizen": str(citizen_id),
            "request_id": str(uuid.uuid4()),
            "value": value,
        }
        return client.post(answer_url, data, headers={"HX-Request": "true"})

    def answer_ok(response: Any) -> None:
        if response.status_code != 200 or response.get("X-Rating-Outcome") != "saved":
            raise SystemExit(f"answer not saved: {response.status_code} {response.content[:300]!r}")

    anonymous = Client(enforce_csrf_checks=True)
    login_url = reverse("login")

    def get_login() -> Any:
        return anonymous.get(login_url)

    def status_ok(response: Any) -> None:
        if response.status_code != 200:
            raise SystemExit(f"peer page failed: {response.status_code}")

    nothing = Client(enforce_csrf_checks=True)
    nothing.force_login(empty)

    def get_empty() -> Any:
        return nothing.get(page_url)

    rows: list[tuple[str, dict[str, float], int, float | None]] = []
    page_target, answer_target = TARGETS_MS["rating page GET"], TARGETS_MS["answer POST"]
    measurements: list[tuple[str, Callable[[], Any], Callable[[Any], None], bool, float | None]] = [
        ("login page GET (peer, anonymous)", get_login, status_ok, False, None),
        ("rating page GET, empty caseload (peer)", get_empty, status_ok, False, None),
        ("rating page GET", get_page, page_ok, False, page_target),
        ("rating page GET, new DB connection each", get_page, page_ok, True, page_target),
        ("answer POST", post_answer, answer_ok, False, answer_target),
        ("answer POST, new DB connection each", post_answer, answer_ok, True, answer_target),
    ]
    sqls: dict[str, list[str]] = {}
    for name, run, check, reconnect, target in measurements:
        took = _time(run, args.n, args.warmup, check, reconnect)
        count, sqls[name] = _queries(run)
        rows.append((name, fx.summary_ms(took), count, target))
        print(f"  {name}: p95 {rows[-1][1]['p95']:.1f} ms", file=sys.stderr, flush=True)
    page_bytes = len(get_page().content)
    history = Answer.objects.filter(wave=wave, caseworker=me).count()

    engine = fx.postgres_version(database_url) if database_url else f"SQLite {sqlite3.sqlite_version} (WAL)"
    print(f"## Rating page, in-process ({engine})\n")
    print(f"- when: {datetime.now(tz=timezone.get_current_timezone()):%Y-%m-%d %H:%M %Z}")
    print(f"- machine: {fx.machine()}")
    print(f"- load average (1/5/15 min) before: {load_before}; after: {fx.load_average()}")
    print(f"- busiest processes before: {busy_before}")
    print(
        f"- {args.caseload} citizens on the page, {args.others} other caseworkers' caseloads in the database; "
        f"{args.warmup} warm-up then {args.n} timed requests each, one at a time; set-up {set_up:.1f} s"
    )
    print(f"- page size {page_bytes / 1024:.0f} KiB; answers in the caseworker's history at the end: {history}\n")
    print("| request | n | p50 ms | p95 ms | p99 ms | max ms | mean ms | SQL statements | target p95 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    failed = False
    for name, s, count, target in rows:
        verdict = ""
        if target is not None:
            ok = s["p95"] < target
            failed |= not ok
            verdict = f"< {target:.0f} ms {'✓' if ok else '✗'}"
        print(
            f"| {name} | {s['n']:.0f} | {s['p50']:.1f} | {s['p95']:.1f} | {s['p99']:.1f} | {s['max']:.1f} "
            f"| {s['mean']:.1f} | {count} | {verdict} |"
        )
    if args.show_queries:
        for name in ("rating page GET", "answer POST"):
            print(f"\n### SQL of one {name}\n")
            for i, sql in enumerate(sqls[name], 1):
                print(f"{i:2d}. `{sql[:300]}`")
    if args.profile:
        for name, run in (("page GETs", get_page), ("answer POSTs", post_answer)):
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(50):
                run()
            profiler.disable()
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(25)
                print(f"\n### cProfile, 50 {name} ({order})\n\n```\n{out.getvalue()}```")
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
