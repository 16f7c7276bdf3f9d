"""The audit log is append-only: the model, its queryset and (on PostgreSQL) the database refuse
to change or remove a recorded event."""

from __future__ import annotations

from unittest import skipUnless

from django.db import DatabaseError, connection, transaction
from django.test import TestCase

from jobtro.audit.actions import record
from jobtro.audit.context import Actor
from jobtro.audit.models import AppendOnlyError, AuditEvent


class AppendOnlyTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.event = record(
            AuditEvent.Action.BULK,
            object_type="measurement.Citizen",
            detail={"rotated": 3},
            actor=Actor(id=None, label="original", via="cli"),
        )

    def assertUnchanged(self) -> None:
        row = AuditEvent.objects.get(pk=self.event.pk)
        self.assertEqual(row.actor_label, "original")
        self.assertEqual(row.action, AuditEvent.Action.BULK)
        self.assertEqual(row.detail, {"rotated": 3})

    def test_it_stores_a_new_event(self) -> None:
        self.assertTrue(AuditEvent.objects.filter(pk=self.event.pk, actor_label="original", via="cli").exists())

    def test_it_refuses_save_on_an_existing_row(self) -> None:
        event = AuditEvent.objects.get(pk=self.event.pk)
        event.actor_label = "forger"
        with self.assertRaises(AppendOnlyError):
            event.save()
        self.assertUnchanged()

    def test_it_refuses_save_with_update_fields(self) -> None:
        event = AuditEvent.objects.get(pk=self.event.pk)
        event.detail = {}
        with self.assertRaises(AppendOnlyError):
            event.save(update_fields=["detail"])
        self.assertUnchanged()

    def test_it_refuses_instance_delete(self) -> None:
        with self.assertRaises(AppendOnlyError):
            AuditEvent.objects.get(pk=self.event.pk).delete()
        self.assertUnchanged()

    def test_it_refuses_queryset_update(self) -> None:
        with self.assertRaises(AppendOnlyError):
            AuditEvent.objects.filter(pk=self.event.pk).update(actor_label="forger")
        with self.assertRaises(AppendOnlyError):
            AuditEvent.objects.update(actor_label="forger")
        self.assertUnchanged()

    def test_it_refuses_queryset_delete(self) -> None:
        with self.assertRaises(AppendOnlyError):
            AuditEvent.objects.filter(pk=self.event.pk).delete()
        with self.assertRaises(AppendOnlyError):
            AuditEvent.objects.all().delete()
        self.assertUnchanged()

    def test_it_refuses_bulk_update(self) -> None:
        event = AuditEvent.objects.get(pk=self.event.pk)
        event.actor_label = "forger"
        # bulk_update runs inside atomic(savepoint=False): give it a savepoint to roll back to.
        with self.assertRaises(AppendOnlyError), transaction.atomic():
            AuditEvent.objects.bulk_update([event], ["actor_label"])
        self.assertUnchanged()

    @skipUnless(connection.vendor == "postgresql", "the database trigger exists only on PostgreSQL")
    def test_it_refuses_raw_sql_update_on_postgresql(self) -> None:
        with (
            self.assertRaisesMessage(DatabaseError, "append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("UPDATE audit_auditevent SET actor_label = 'forger' WHERE id = %s", [self.event.pk])
        self.assertUnchanged()

    @skipUnless(connection.vendor == "postgresql", "the database trigger exists only on PostgreSQL")
    def test_it_refuses_raw_sql_delete_on_postgresql(self) -> None:
        with (
            self.assertRaisesMessage(DatabaseError, "append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [self.event.pk])
        self.assertUnchanged()

    @skipUnless(connection.vendor == "postgresql", "the database trigger exists only on PostgreSQL")
    def test_it_still_accepts_raw_sql_insert_on_postgresql(self) -> None:
        before = AuditEvent.objects.count()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_auditevent (at, actor_label, action, object_type, object_id, object_repr,"
                " municipality_code, detail, via, path) VALUES (now(), 'raw', 'bulk', '', '', '', '', '{}', 'cli', '')"
            )
        self.assertEqual(AuditEvent.objects.count(), before + 1)
