"""Idempotent saving under concurrent duplicate requests: the same request id arriving from several
threads at the same moment, each on its own database connection, is stored exactly once.

The tests commit for real (TransactionTestCase) so that the threads' connections see each other's
rows and the unique index on ``request_id`` decides the race, as it does between web workers. A
barrier holds every thread until all have looked for the request id and found nothing, so each run
takes the racy path (insert, lose on the unique index, return the winner's row) rather than, by luck,
the sequential one.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

from django.db import connection, connections, transaction
from django.test import Client, TransactionTestCase

from jobtro.measurement.actions import SavedAnswer, record_answer
from jobtro.measurement.models import Answer
from jobtro.measurement.tests.test_rating_fixtures import (
    RatingTestCase,
    items,
    load_municipalities,
    make_open_wave,
    post_answer,
)

THREADS = 4


def _run_at_once(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``n`` threads, each with its own connection; return results or exceptions."""
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            results[i] = work(i)
        except Exception as exc:  # the test asserts on it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@contextmanager
def _sqlite_on_disk() -> Iterator[None]:
    """Run on a file, as production does, when the test database is SQLite in memory.

    Django's in-memory test database uses SQLite's shared cache, whose table locks fail at once
    ("database table is locked") instead of waiting for the busy timeout, so concurrent writers there
    test nothing real. Production SQLite is a file in WAL mode with a busy timeout, where writers
    queue. The test database is copied to such a file for the test and dropped afterwards.
    """
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    settings_dict = connection.settings_dict  # the very dict every thread's connection is made from
    memory_name = settings_dict["NAME"]
    connection.ensure_connection()
    memory = connection.connection
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "concurrency.sqlite3")
        disk = sqlite3.connect(path)
        memory.backup(disk)
        disk.close()
        settings_dict["NAME"] = path
        connection.connection = None  # set aside, not closed: closing would drop the in-memory database
        try:
            yield
        finally:
            connection.close()
            settings_dict["NAME"] = memory_name
            connection.connection = memory


class ConcurrentDuplicateTest(TransactionTestCase):
    def setUp(self) -> None:
        load_municipalities()  # a transactional test's flush removes what the migrations loaded
        holder = type("Personas", (RatingTestCase,), {"__module__": __name__})
        holder.setUpTestData()
        self.org = SimpleNamespace(**{k: getattr(holder, k) for k in ("personas", "citizen_a", "wave", "items")})
        on_disk = _sqlite_on_disk()
        on_disk.__enter__()
        self.addCleanup(on_disk.__exit__, None, None, None)

    def _barrier_before_insert(self, parties: int) -> Any:
        """Hold each thread just before it opens the insert's transaction until ``parties`` threads have
        all looked for the request id and found nothing (record_answer checks, then inserts in
        ``transaction.atomic()``)."""
        barrier = threading.Barrier(parties, timeout=30)
        atomic = transaction.atomic

        def atomic_together(*args: Any, **kwargs: Any) -> Any:
            barrier.wait()
            return atomic(*args, **kwargs)

        return mock.patch("jobtro.measurement.actions.transaction", SimpleNamespace(atomic=atomic_together))

    def test_it_stores_one_row_when_the_same_request_arrives_from_several_threads_at_once(self) -> None:
        org = self.org
        request_id = uuid.uuid4()

        def save(_: int) -> SavedAnswer:
            return record_answer(
                wave=org.wave,
                item=org.items["specific_belief"],
                caseworker=org.personas["caseworker_a"],
                citizen=org.citizen_a,
                value=4,
                request_id=request_id,
            )

        with self._barrier_before_insert(THREADS):
            results = _run_at_once(THREADS, save)

        errors = [r for r in results if isinstance(r, BaseException)]
        self.assertEqual(errors, [])
        self.assertEqual(sorted(r.created for r in results), [False] * (THREADS - 1) + [True])
        self.assertEqual(len({r.answer.pk for r in results}), 1, "every thread gets the same stored answer")
        self.assertEqual(Answer.objects.filter(request_id=request_id).count(), 1)
        self.assertEqual(Answer.objects.count(), 1)

    def test_it_stores_one_row_when_the_same_post_arrives_twice_at_once(self) -> None:
        org = self.org
        request_id = uuid.uuid4()

        def post(_: int) -> int:
            client = Client()
            client.force_login(org.personas["caseworker_a"])
            return post_answer(
                client, org.wave, org.items["specific_belief"], org.citizen_a, "dk", request_id=request_id
            ).status_code

        with self._barrier_before_insert(2):
            statuses = _run_at_once(2, post)

        self.assertEqual(statuses, [200, 200])
        self.assertEqual(Answer.objects.filter(request_id=request_id).count(), 1)
        self.assertTrue(Answer.objects.get(request_id=request_id).dont_know)

    def test_it_stores_every_distinct_request_sent_at_once(self) -> None:
        """The other side of the coin: different request ids (two tabs) racing are all kept."""
        org = self.org
        wave = make_open_wave(org.wave.project, number=6)
        item = items(wave)["specific_belief"]

        def save(i: int) -> SavedAnswer:
            return record_answer(
                wave=wave,
                item=item,
                caseworker=org.personas["caseworker_a"],
                citizen=org.citizen_a,
                value=1 + i,
                request_id=uuid.uuid4(),
            )

        results = _run_at_once(THREADS, save)
        self.assertEqual([r for r in results if isinstance(r, BaseException)], [])
        self.assertEqual(
            sorted(Answer.objects.filter(wave=wave).values_list("value", flat=True)), list(range(1, THREADS + 1))
        )

    def test_it_really_runs_the_threads_on_separate_connections(self) -> None:
        def database_connection(_: int) -> object:
            connection.ensure_connection()
            return connection.connection

        connection.ensure_connection()
        # The objects themselves are returned and kept, so their ids cannot be reused by a later
        # allocation (comparing bare ids of closed, freed connections made this test flaky).
        used = [*_run_at_once(2, database_connection), connection.connection]
        self.assertEqual(len({id(c) for c in used}), 3)
