"""Load test: many caseworkers answering at once against PostgreSQL and gunicorn, then a proof that the
database holds exactly the answers the clients believe they saved.

Usage::

    .venv/bin/python bench/load_answers.py [--clients 200] [--caseload 30] [--duration 60] [--workers 4]
        [--think-ms 0] [--database-url postgres://postgres@127.0.0.1:5432/jobtro_load]

What it does, start to end (it stops by itself and cleans up after itself):

1. Creates a new PostgreSQL database (the URL's database must not exist; default
   ``jobtro_load_<pid>`` on 127.0.0.1:5432 as user postgres) and a temporary ``JOBTRO_VAR_DIR``;
   generates real secrets (SECRET_KEY, JOBTRO_PSEUDONYM_KEY, JOBTRO_ENCRYPTION_KEYS) and leaves
   JOBTRO_DEBUG unset, so DEBUG is off as in production; migrates and collects static files.
2. Creates ``--clients`` caseworkers, each with ``--caseload`` citizens of their own (identities
   sealed), opens the baseline wave (freezing every caseload) and writes one logged-in session per
   caseworker straight into the session table (what the login form stores, without 200 password
   hashes).
3. Starts gunicorn as the README's "Running it in production" documents it
   (``gunicorn jobtro.wsgi --workers 4 --bind 127.0.0.1:PORT --forwarded-allow-ips=127.0.0.1``,
   sync workers), on a free loopback port.
4. Runs one thread per caseworker, all released at once, for ``--duration`` seconds: each GETs its
   rating page once (taking the CSRF token and the form fields from the HTML), then POSTs answers as
   the page's htmx does (``HX-Request: true``) back to back, or with ``--think-ms`` of thinking
   between them: a random citizen and value with a fresh request id; ~``--change`` of them change an
   answer already given; ~``--general`` answer the general items; and ~``--resend`` are repeats of
   a request id: half a retry of the previous request after its response, half a double click (the
   same new request sent on two connections at once, before either answer is read). Plain
   ``http.client`` connections (the sync workers close them after each response; they reconnect).
5. Stops gunicorn, then proves from the database: every request id a client got "saved" for exists
   exactly once with the content sent; no stored request id was never sent; repeats did not create
   rows; each caseworker's answer in force per (wave, item, citizen) - actions.current_answers, the
   app's own definition - equals the last value that client saw confirmed; each stored answer has
   exactly one CREATE event in the audit log. Requests that got no answer (errors, time-outs) are
   counted and may or may not be stored; they are reported, not guessed. Exit status 1 if the proof
   fails.
6. Drops the database and removes the temporary directory (``--keep`` keeps both).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _rating_fixture as fx

FORM = re.compile(r'<form class="rating-group" id="q-(\d+)-(\w+)" data-kind="(\w+)"[^>]* action="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SCALE = ("1", "2", "3", "4", "5", "dk")
TIMEOUT = 30.0  # seconds a client waits for a response (gunicorn's own worker timeout is 30 s too)

Key = tuple[int, int | None]  # (item, citizen); citizen None for the general items


@dataclass
class Sent:
    caseworker: int
    item: int
    citizen: int | None
    value: str


@dataclass
class Client:
    """One simulated caseworker: its own session, connections, random stream and ledger."""

    index: int
    caseworker: int
    session: str
    port: int
    rng: Random
    wave_url: str = ""
    answer_url: str = ""
    csrf_cookie: str = ""
    csrf_token: str = ""
    questions: list[tuple[int, int | None, str]] = field(default_factory=list)  # (item, citizen, kind)
    # The ledger: everything sent, what was confirmed, and per (item, citizen) the outcomes in order.
    sent: dict[str, Sent] = field(default_factory=dict)
    confirmed: set[str] = field(default_factory=set)
    outcomes: dict[Key, list[tuple[bool, str]]] = field(default_factory=lambda: defaultdict(list))
    repeated: Counter[str] = field(default_factory=Counter)  # request id -> extra copies sent
    timings: list[tuple[str, float, float, str]] = field(default_factory=list)  # (kind, start, s, result)
    conns: list[http.client.HTTPConnection] = field(default_factory=list)

    def connection(self, n: int = 0) -> http.client.HTTPConnection:
        while len(self.conns) <= n:
            self.conns.append(http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT))
        return self.conns[n]

    def cookies(self) -> str:
        jar = f"sessionid={self.session}"
        return f"{jar}; csrftoken={self.csrf_cookie}" if self.csrf_cookie else jar

    # --- requests -------------------------------------------------------------------------------

    def open_page(self, t0: float) -> bool:
        began = time.perf_counter()
        conn = self.connection()
        try:
            conn.request("GET", self.wave_url, headers={"Cookie": self.cookies()})
            response = conn.getresponse()
            body = response.read().decode()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            self.timings.append(("page", began - t0, time.perf_counter() - began, type(exc).__name__))
            return False
        took = time.perf_counter() - began
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie(header)
            if "csrftoken" in jar:
                self.csrf_cookie = jar["csrftoken"].value
        token = CSRF.search(body)
        forms = FORM.findall(body)
        ok = response.status == 200 and token is not None and bool(forms) and bool(self.csrf_cookie)
        self.timings.append(("page", began - t0, took, "ok" if ok else f"HTTP {response.status}"))
        if not ok or token is None:
            return False
        self.csrf_token = token.group(1)
        self.answer_url = forms[0][3]
        self.questions = [(int(i), None if c == "general" else int(c), kind) for i, c, kind, _ in forms]
        return True

    def _body(self, request_id: str, sent: Sent) -> str:
        fields = {"csrfmiddlewaretoken": self.csrf_token, "item": str(sent.item), "request_id": request_id}
        if sent.citizen is not None:
            fields["citizen"] = str(sent.citizen)
        fields["value"] = sent.value
        return urlencode(fields)

    def _headers(self) -> dict[str, str]:
        return {
            "Cookie": self.cookies(),
            "Content-Type": "application/x-www-form-urlencoded",
            "HX-Request": "true",
        }

    def _finish(self, conn: http.client.HTTPConnection, request_id: str, kind: str, began: float, t0: float) -> None:
        """Read one answer's response and write down what the client now believes."""
        sent = self.sent[request_id]
        try:
            response = conn.getresponse()
            body = response.read().decode()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            result = type(exc).__name__
        else:
            saved = (
                response.status == 200
                and response.getheader("X-Rating-Outcome") == "saved"
                and f'data-value="{sent.value}"' in body
            )
            result = "ok" if saved else f"HTTP {response.status} {response.getheader('X-Rating-Outcome') or ''}"
        self.timings.append((kind, began - t0, time.perf_counter() - began, result.strip()))
        confirmed = result == "ok"
        if confirmed:
            self.confirmed.add(request_id)
        self.outcomes[(sent.item, sent.citizen)].append((confirmed, sent.value))

    def post(self, request_id: str, kind: str, t0: float) -> None:
        conn = self.connection()
        began = time.perf_counter()
        try:
            body = self._body(request_id, self.sent[request_id])
            conn.request("POST", self.answer_url, body=body, headers=self._headers())
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            self.timings.append((kind, began - t0, time.perf_counter() - began, type(exc).__name__))
            sent = self.sent[request_id]
            self.outcomes[(sent.item, sent.citizen)].append((False, sent.value))
            return
        self._finish(conn, request_id, kind, began, t0)

    def double_click(self, request_id: str, t0: float) -> None:
        """The same request on two connections at once; both responses read only after both were sent."""
        body, headers = self._body(request_id, self.sent[request_id]), self._headers()
        began = time.perf_counter()
        in_flight = []
        for n in (0, 1):
            conn = self.connection(n)
            try:
                conn.request("POST", self.answer_url, body=body, headers=headers)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                self.timings.append(("double", began - t0, time.perf_counter() - began, type(exc).__name__))
                sent = self.sent[request_id]
                self.outcomes[(sent.item, sent.citizen)].append((False, sent.value))
                continue
            in_flight.append(conn)
        self.repeated[request_id] += 1
        for conn in in_flight:
            self._finish(conn, request_id, "double", began, t0)

    # --- what a caseworker does -----------------------------------------------------------------

    def _new_answer(self, change: float, general: float) -> Sent:
        rng = self.rng
        answered = [k for k, seen in self.outcomes.items() if k[1] is not None and any(ok for ok, _ in seen)]
        specific = [(i, c) for i, c, kind in self.questions if c is not None]
        roll = rng.random()
        if roll < change and answered:
            item, citizen = rng.choice(answered)
            last = next(v for ok, v in reversed(self.outcomes[(item, citizen)]) if ok)
            return Sent(self.caseworker, item, citizen, rng.choice([v for v in SCALE if v != last]))
        if roll < change + general:
            item, _, kind = rng.choice([q for q in self.questions if q[1] is None])
            value = str(rng.randint(0, 1)) if kind == "yes_no" else str(rng.randint(0, 100))
            return Sent(self.caseworker, item, None, value)
        item, citizen = rng.choice(specific)
        return Sent(self.caseworker, item, citizen, rng.choice(SCALE))

    def run(self, start: threading.Barrier, t0_box: list[float], args: argparse.Namespace) -> None:
        start.wait()
        t0 = t0_box[0]
        deadline = t0 + args.duration
        if not self.open_page(t0):
            return
        last: str | None = None
        while time.perf_counter() < deadline:
            roll = self.rng.random()
            if last is not None and roll < args.resend / 2:
                self.repeated[last] += 1
                self.post(last, "retry", t0)  # the previous request again, after its response
            else:
                request_id = str(uuid.uuid4())
                self.sent[request_id] = self._new_answer(args.change, args.general)
                if roll < args.resend:
                    self.double_click(request_id, t0)
                else:
                    self.post(request_id, "answer", t0)
                last = request_id
            if args.think_ms:
                time.sleep(self.rng.uniform(0.5, 1.5) * args.think_ms / 1000)
        for conn in self.conns:
            conn.close()


# --- gunicorn -------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _gunicorn(args: argparse.Namespace, port: int, log: Path) -> tuple[subprocess.Popen[bytes], list[str]]:
    binary = Path(sys.executable).with_name("gunicorn")
    command = [str(binary)] if binary.exists() else [sys.executable, "-m", "gunicorn"]
    app = "jobtro.wsgi"
    if args.conn_max_age is not None:
        # The what-if: the same application with persistent database connections (bench/wsgi_persistent_db.py).
        os.environ["BENCH_CONN_MAX_AGE"] = str(args.conn_max_age)
        command += ["--pythonpath", str(Path(__file__).resolve().parent)]
        app = "wsgi_persistent_db:application"
    command += [app, "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}"]
    command += ["--forwarded-allow-ips=127.0.0.1"]
    if args.worker_class != "sync":
        command += ["--worker-class", args.worker_class, "--threads", str(args.threads)]
    out = log.open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own fixed command line
        command, cwd=fx.ROOT, env=os.environ.copy(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    out.close()
    give_up = time.monotonic() + 60
    while time.monotonic() < give_up:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                conn.close()
                return process, command
            conn.close()
        except OSError:
            pass
        time.sleep(0.25)
    _stop(process)
    raise SystemExit(f"gunicorn did not answer within 60 s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the gunicorn master we started (it stops its workers), SIGKILL to its group if stuck."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _server_cpu(master: int) -> float:
    """CPU seconds used so far by the gunicorn master and its workers (finished ones included)."""
    tick = os.sysconf("SC_CLK_TCK")

    def stat(pid: int | str, children_too: bool) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        used = int(fields[11]) + int(fields[12])  # utime, stime
        if children_too:
            used += int(fields[13]) + int(fields[14])  # cutime, cstime: workers that have exited
        return used / tick

    try:
        workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        workers = []
    return stat(master, True) + sum(stat(w, False) for w in workers)


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    values = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


# --- the proof ------------------------------------------------------------------------------------------


def _prove(clients: Sequence[Client], wave: Any) -> tuple[list[tuple[str, int, int | None]], bool]:
    """Compare the database with the clients' ledgers. Rows: (check, count, required count or None)."""
    from jobtro.audit.models import AuditEvent
    from jobtro.measurement.actions import current_answers
    from jobtro.measurement.models import Answer
    from jobtro.organisation.models import Staff

    sent: dict[str, Sent] = {}
    confirmed: set[str] = set()
    repeated: Counter[str] = Counter()
    for client in clients:
        sent.update(client.sent)
        confirmed |= client.confirmed
        repeated.update(client.repeated)
    unconfirmed = set(sent) - confirmed

    rows = list(
        Answer.objects.filter(wave=wave).values_list(
            "id", "request_id", "caseworker_id", "item_id", "citizen_id", "value", "dont_know"
        )
    )
    per_id = Counter(str(r[1]) for r in rows)
    stored = {str(r[1]): r for r in rows}
    lost = [i for i in confirmed if per_id[i] != 1]
    twice = [i for i, n in per_id.items() if n > 1]
    phantom = [i for i in per_id if i not in sent]
    wrong = 0
    for request_id, r in stored.items():
        s = sent.get(request_id)
        if s is None:
            continue
        value = "dk" if r[6] else str(r[5])
        if (r[2], r[3], r[4], value) != (s.caseworker, s.item, s.citizen, s.value):
            wrong += 1
    repeats_confirmed = [i for i in repeated if i in confirmed]
    repeats_ok = sum(1 for i in repeats_confirmed if per_id[i] == 1)

    # The answer in force per (item, citizen), by the app's own definition, against each client's belief.
    matches = mismatches = ambiguous = unexpected = 0
    for client in clients:
        caseworker = Staff.objects.get(pk=client.caseworker)
        in_force = current_answers(wave, caseworker)
        believed: dict[Key, str] = {}
        for key, seen in client.outcomes.items():
            confirmations = [i for i, (ok, _) in enumerate(seen) if ok]
            if not confirmations:
                ambiguous += 1  # never confirmed: it may or may not have been stored
                continue
            if any(not ok for ok, _ in seen[confirmations[-1] + 1 :]):
                ambiguous += 1  # an unanswered request after the last confirmation may have won
                continue
            believed[key] = seen[confirmations[-1]][1]
        for key, value in believed.items():
            answer = in_force.get(key)
            stored_value = None if answer is None else ("dk" if answer.dont_know else str(answer.value))
            if stored_value == value:
                matches += 1
            else:
                mismatches += 1
        unexpected += sum(1 for key in in_force if key not in client.outcomes)

    answer_ids = [str(r[0]) for r in rows]
    audit = Counter(
        AuditEvent.objects.filter(
            action=AuditEvent.Action.CREATE, object_type="measurement.Answer", object_id__in=answer_ids
        ).values_list("object_id", flat=True)
    )
    audit_wrong = sum(1 for i in answer_ids if audit[i] != 1)

    stored_unconfirmed = sum(1 for i in unconfirmed if per_id[i])
    checks: list[tuple[str, int, int | None]] = [
        ("request ids sent (distinct)", len(sent), None),
        ("... confirmed saved by the server", len(confirmed), None),
        ("... never confirmed (error or time-out)", len(unconfirmed), None),
        ("...... of those found stored anyway", stored_unconfirmed, None),
        ("answer rows in the database", len(rows), len(confirmed) + stored_unconfirmed),
        ("confirmed request ids not stored exactly once (lost)", len(lost), 0),
        ("request ids stored more than once (duplicated)", len(twice), 0),
        ("stored request ids no client sent", len(phantom), 0),
        ("stored rows whose content differs from what was sent", wrong, 0),
        ("request ids sent more than once (retries + double clicks)", len(repeated), None),
        ("... extra copies sent", sum(repeated.values()), None),
        ("... confirmed ones stored exactly once", repeats_ok, len(repeats_confirmed)),
        ("(item, citizen) answers in force = the client's last confirmed value", matches, None),
        ("(item, citizen) answers in force ≠ the client's last confirmed value", mismatches, 0),
        ("(item, citizen) left undecided by an unconfirmed request", ambiguous, None),
        ("answers in force the client never gave", unexpected, 0),
        ("stored answers without exactly one audit CREATE event", audit_wrong, 0),
    ]
    passed = all(required is None or count == required for _, count, required in checks)
    return checks, passed


# --- main -------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--database-url",
        default=f"postgres://postgres@127.0.0.1:5432/jobtro_load_{os.getpid()}",
        help="a new PostgreSQL database: created, then dropped (default: %(default)s)",
    )
    parser.add_argument("--clients", type=int, default=200, help="simulated caseworkers (default 200)")
    parser.add_argument("--caseload", type=int, default=30, help="citizens per caseworker (default 30)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of answering (default 60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4, as the README)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (default sync, as the README)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker for --worker-class gthread")
    parser.add_argument("--think-ms", type=float, default=0, help="mean pause between a client's answers (default 0)")
    parser.add_argument("--resend", type=float, default=0.05, help="share of requests that repeat a request id")
    parser.add_argument("--change", type=float, default=0.2, help="share of answers changing an earlier answer")
    parser.add_argument("--general", type=float, default=0.05, help="share of answers to the general items")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        help="what-if, not the README's set-up: serve bench/wsgi_persistent_db.py, i.e. CONN_MAX_AGE=N",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database and the temporary directory")
    args = parser.parse_args(argv)

    with (
        fx.temporary_dir("jobtro-load-", keep=args.keep) as var_dir,
        fx.postgres_database(args.database_url, keep=args.keep) as url,
    ):
        return _run(args, var_dir, url)


def _run(args: argparse.Namespace, var_dir: Path, url: str) -> int:
    load_before, busy_before = fx.load_average(), fx.busy_processes()
    fx.apply_env(fx.production_env(var_dir, url))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections
    from django.urls import reverse
    from django.utils import timezone

    assert not settings.DEBUG
    began = time.perf_counter()
    fx.prepare_database()
    fixture = fx.build_fixture(caseworkers=args.clients, caseload=args.caseload, seed=args.seed)
    sessions = [fx.session_cookie(person) for person in fixture.caseworkers]
    wave_url = reverse("rate_wave", args=[fixture.wave.pk])
    set_up = time.perf_counter() - began
    connections.close_all()
    print(f"  set up {args.clients} caseworkers x {args.caseload} citizens in {set_up:.1f} s", file=sys.stderr)

    port = _free_port()
    log = var_dir / "gunicorn.log"
    server, command = _gunicorn(args, port, log)
    try:
        seeds = Random(args.seed)  # noqa: S311 - benchmark randomness, not security
        clients = [
            Client(i, person.pk, sessions[i], port, Random(seeds.getrandbits(64)), wave_url=wave_url)  # noqa: S311
            for i, person in enumerate(fixture.caseworkers)
        ]
        barrier = threading.Barrier(len(clients) + 1)
        t0_box = [0.0]
        threads = [
            threading.Thread(target=c.run, args=(barrier, t0_box, args), name=f"client-{c.index}", daemon=True)
            for c in clients
        ]
        for t in threads:
            t.start()
        print(f"  {len(clients)} clients answering for {args.duration:.0f} s ...", file=sys.stderr, flush=True)
        rollbacks_before = fx.postgres_rollbacks(url)
        cpu_before = (_server_cpu(server.pid), time.process_time(), _machine_cpu())
        t0_box[0] = time.perf_counter()
        barrier.wait()
        give_up = time.perf_counter() + args.duration + 3 * TIMEOUT
        for t in threads:
            t.join(timeout=max(0.0, give_up - time.perf_counter()))
        elapsed = time.perf_counter() - t0_box[0]
        stuck = sum(t.is_alive() for t in threads)
        cpu_after = (_server_cpu(server.pid), time.process_time(), _machine_cpu())
    finally:
        _stop(server)
    server_log = log.read_text(errors="replace")
    load_after = fx.load_average()
    time.sleep(1)  # the statistics collector reports with up to a second's delay
    rollbacks = fx.postgres_rollbacks(url) - rollbacks_before

    checks, passed = _prove(clients, fixture.wave)

    # --- report ---------------------------------------------------------------------------------------
    timings = [t for c in clients for t in c.timings]
    answers = [t for t in timings if t[0] != "page"]
    pages = [t for t in timings if t[0] == "page"]
    ok_answers = [t for t in answers if t[3] == "ok"]
    errors = Counter(t[3] for t in timings if t[3] != "ok")
    stored = next(count for name, count, _ in checks if name == "answer rows in the database")
    print(f"## Answer load test ({fx.postgres_version(url)}, gunicorn)\n")
    print(f"- when: {datetime.now(tz=timezone.get_current_timezone()):%Y-%m-%d %H:%M %Z}")
    print(f"- machine: {fx.machine()}")
    print(f"- load average (1/5/15 min) before: {load_before}; after: {load_after}")
    print(f"- busiest processes before: {busy_before}")
    print(
        f"- server: `{' '.join(Path(command[0]).name if i == 0 else a for i, a in enumerate(command))}` "
        "(DEBUG off, generated secrets, WhiteNoise), clients on the same machine over loopback"
        + (f"; **what-if: CONN_MAX_AGE={args.conn_max_age}**" if args.conn_max_age is not None else "")
    )
    print(
        f"- {args.clients} clients (threads, `http.client`), {args.caseload} citizens each; "
        f"{args.duration:.0f} s; think time {args.think_ms:.0f} ms; repeats {args.resend:.0%}, "
        f"changes {args.change:.0%}, general items {args.general:.0%}; set-up {set_up:.0f} s; "
        f"wall time of the run {elapsed:.1f} s; clients still running at the end: {stuck}\n"
    )
    print("| requests | n | ok | per s | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    # Once every client has its page, only answers are in flight: the steady state.
    loaded = max((t[1] + t[2] for t in pages), default=0.0)
    steady = [t for t in answers if t[1] >= loaded]
    groups = (
        ("rating page GET (once per client, all at once)", pages, None),
        ("answer POST (all)", answers, args.duration),
        (f"answer POST after every page had loaded ({loaded:.0f} s on)", steady, args.duration - loaded),
    )
    for name, group, seconds in groups:
        s = fx.summary_ms([t[2] for t in group])
        ok = sum(1 for t in group if t[3] == "ok")
        rate = f"{ok / seconds:.1f}" if seconds else "–"
        print(
            f"| {name} | {len(group)} | {ok} | {rate} | {s['p50']:.0f} | {s['p95']:.0f} "
            f"| {s['p99']:.0f} | {s['max']:.0f} |"
        )
    print(
        f"\nThroughput: {len(ok_answers) / args.duration:.1f} confirmed answer requests/s, "
        f"{stored / args.duration:.1f} new answer rows/s."
    )
    buckets = Counter(int(t[1] // 10) for t in ok_answers if t[1] < args.duration)
    print(
        "Confirmed answers per 10 s: "
        + ", ".join(str(buckets.get(b, 0)) for b in range(int(args.duration // 10)))
        + "."
    )
    server_cpu, client_cpu = cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1]
    busy = (cpu_after[2][0] - cpu_before[2][0]) / max(1.0, cpu_after[2][1] - cpu_before[2][1])
    handled = len(timings) + sum(1 for t in timings if t[0] == "double")  # a double click is two requests
    print(
        f"CPU during the run: gunicorn (master and workers) {server_cpu:.1f} s, i.e. "
        f"{server_cpu / max(1, handled) * 1000:.1f} ms per request; the client threads {client_cpu:.1f} s; "
        f"the whole machine {busy:.0%} busy (PostgreSQL and other processes included)."
    )
    print(f"Errors: {dict(errors) if errors else 'none'}.")
    print(
        f"Transactions rolled back by PostgreSQL during the run: {rollbacks} (expected: only the copies of double "
        "clicks that lost the insert race on the unique request_id, and were answered from the winner's row)."
    )
    problems = [line for line in server_log.splitlines() if re.search(r"Traceback|WORKER TIMEOUT|\[ERROR\]", line)]
    print(f"gunicorn log: {len(problems)} error lines" + (f", first: `{problems[0]}`" if problems else "") + ".\n")
    print("### Proof: the database against the clients' ledgers\n")
    print("| check | count | required |")
    print("|---|---:|---:|")
    for name, count, required in checks:
        verdict = "" if required is None else f"{required} {'✓' if count == required else '✗'}"
        print(f"| {name} | {count} | {verdict} |")
    print(f"\n**{'PASSED' if passed else 'FAILED'}**: zero lost, zero duplicated" if passed else "\n**FAILED**")
    connections.close_all()
    return 0 if passed and not stuck else 1


if __name__ == "__main__":
    sys.exit(main())
