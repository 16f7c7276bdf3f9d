"""Every change to an organisation or measurement model lands in the audit log: who, from where,
what changed (old and new value) - but never a password or an encrypted value."""

from __future__ import annotations

import json
from datetime import date

from django.test import SimpleTestCase, override_settings
from django.urls import reverse

from jobtro.audit.context import Actor, acting_as
from jobtro.audit.models import AuditEvent
from jobtro.measurement.identity import seal
from jobtro.measurement.models import CaseworkerAssignment, Citizen
from jobtro.organisation.models import Membership, Role, Staff, Unit
from jobtro.testing import PersonaTestCase

# The personas' passwords are hashed in every class's set-up; with the production hasher (slow on
# purpose) that would be most of these tests' run time, and hashing is not what they test.
fast_passwords = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])

IP = "203.0.113.9"


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


@fast_passwords
class ChangeEventsTestCase(PersonaTestCase):
    def setUp(self) -> None:
        self.admin = self.login("administrator")  # the login itself writes an event: mark after it
        self.mark = last_event_id()

    def new_events(self) -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(id__gt=self.mark).order_by("id"))

    def assertFromTheAdminRequest(self, event: AuditEvent, path: str) -> None:
        self.assertEqual(event.actor_id, self.admin.pk)
        self.assertEqual(event.actor_label, "administrator")
        self.assertEqual(event.via, "web")
        self.assertEqual(event.ip, IP)
        self.assertEqual(event.path, path)

    def unit_form(self, unit: Unit, **changes: object) -> dict[str, object]:
        data: dict[str, object] = {
            "municipality": unit.municipality_id,
            "parent": unit.parent_id or "",
            "kind": unit.kind,
            "name": unit.name,
            "_save": "Save",
        }
        data.update(changes)
        return data

    def test_it_logs_a_change_made_in_the_admin_with_old_and_new_values(self) -> None:
        path = reverse("admin:organisation_unit_change", args=[self.team_x1.pk])
        response = self.client.post(path, self.unit_form(self.team_x1, name="Team Alpha"), REMOTE_ADDR=IP)
        self.assertEqual(response.status_code, 302)
        self.team_x1.refresh_from_db()
        self.assertEqual(self.team_x1.name, "Team Alpha")

        [event] = [e for e in self.new_events() if e.object_type == "organisation.Unit"]
        self.assertEqual(event.action, AuditEvent.Action.UPDATE)
        self.assertEqual(event.object_id, str(self.team_x1.pk))
        self.assertEqual(event.municipality_code, "0740")
        self.assertEqual(event.detail, {"changes": {"name": ["Team 1", "Team Alpha"]}})
        self.assertFromTheAdminRequest(event, path)

    def test_it_logs_every_changed_field_and_only_those(self) -> None:
        path = reverse("admin:organisation_unit_change", args=[self.team_x2.pk])
        data = self.unit_form(self.team_x2, name="Team Beta", kind=Unit.Kind.DEPARTMENT)
        self.assertEqual(self.client.post(path, data, REMOTE_ADDR=IP).status_code, 302)
        [event] = [e for e in self.new_events() if e.object_type == "organisation.Unit"]
        self.assertEqual(event.detail["changes"], {"name": ["Team 2", "Team Beta"], "kind": ["team", "department"]})

    def test_it_logs_a_creation_made_in_the_admin(self) -> None:
        path = reverse("admin:organisation_unit_add")
        data = self.unit_form(self.team_x1, name="Team 3", parent=self.centre_x.pk)
        self.assertEqual(self.client.post(path, data, REMOTE_ADDR=IP).status_code, 302)
        unit = Unit.objects.get(name="Team 3")
        [event] = [e for e in self.new_events() if e.object_type == "organisation.Unit"]
        self.assertEqual(event.action, AuditEvent.Action.CREATE)
        self.assertEqual(event.object_id, str(unit.pk))
        self.assertEqual(event.object_repr, "Team 3 (Silkeborg)")
        self.assertEqual(event.municipality_code, "0740")
        self.assertFromTheAdminRequest(event, path)

    def test_it_logs_a_deletion_made_in_the_admin(self) -> None:
        unit = Unit.objects.create(municipality=self.x, parent=self.centre_x, kind=Unit.Kind.TEAM, name="Kortvarig")
        self.mark = last_event_id()
        path = reverse("admin:organisation_unit_delete", args=[unit.pk])
        self.assertEqual(self.client.post(path, {"post": "yes"}, REMOTE_ADDR=IP).status_code, 302)
        self.assertFalse(Unit.objects.filter(pk=unit.pk).exists())
        [event] = [e for e in self.new_events() if e.object_type == "organisation.Unit"]
        self.assertEqual(event.action, AuditEvent.Action.DELETE)
        self.assertEqual(event.object_id, str(unit.pk))
        self.assertEqual(event.object_repr, "Kortvarig (Silkeborg)")
        self.assertFromTheAdminRequest(event, path)

    def test_it_writes_nothing_for_an_admin_save_that_changes_nothing(self) -> None:
        path = reverse("admin:organisation_unit_change", args=[self.team_x1.pk])
        self.assertEqual(self.client.post(path, self.unit_form(self.team_x1), REMOTE_ADDR=IP).status_code, 302)
        self.assertEqual([e for e in self.new_events() if e.object_type == "organisation.Unit"], [])

    def test_it_writes_nothing_for_an_orm_save_that_changes_nothing(self) -> None:
        Unit.objects.get(pk=self.team_x1.pk).save()
        Citizen.objects.get(pk=self.citizen_a.pk).save()
        self.assertEqual(self.new_events(), [])

    def test_it_never_copies_a_password_into_the_log(self) -> None:
        caseworker = self.personas["caseworker_a"]
        old_hash = Staff.objects.get(pk=caseworker.pk).password
        path = reverse("admin:auth_user_password_change", args=[caseworker.pk])
        new_password = "Nyt-kodeord-4711"
        data = {"password1": new_password, "password2": new_password}
        response = self.client.post(path, data, REMOTE_ADDR=IP)
        self.assertEqual(response.status_code, 302)
        new_hash = Staff.objects.get(pk=caseworker.pk).password
        self.assertNotEqual(new_hash, old_hash)

        [event] = [e for e in self.new_events() if e.object_type == "organisation.Staff"]
        self.assertEqual(event.action, AuditEvent.Action.UPDATE)
        self.assertEqual(event.detail, {"changes": {"password": "changed"}})
        self.assertFromTheAdminRequest(event, path)
        everything = json.dumps([e.detail for e in AuditEvent.objects.all()])
        for secret in (old_hash, new_hash, new_password):
            self.assertNotIn(secret, everything)

    def test_it_never_copies_an_encrypted_value_into_the_log(self) -> None:
        citizen = Citizen.objects.get(pk=self.citizen_a.pk)
        old = (citizen.cpr_encrypted, citizen.name_encrypted)
        sealed = seal("0101901235", "Anna Andersen-Holm")
        citizen.cpr_encrypted, citizen.name_encrypted = sealed.cpr_encrypted, sealed.name_encrypted
        citizen.target_group = "jobparat"
        citizen.save()

        [event] = self.new_events()
        self.assertEqual(event.action, AuditEvent.Action.UPDATE)
        self.assertEqual(
            event.detail["changes"],
            {
                "cpr_encrypted": "changed",
                "name_encrypted": "changed",
                "target_group": ["aktivitetsparat kontanthjælpsmodtager", "jobparat"],
            },
        )
        text = json.dumps(event.detail) + event.object_repr
        for secret in (*old, sealed.cpr_encrypted, sealed.name_encrypted, "Anna", "0101901235"):
            self.assertNotIn(secret, text)

    def test_it_logs_orm_changes_outside_a_request_as_the_acting_command(self) -> None:
        with acting_as(Actor(id=None, label="jobtro import", via="cli")):
            unit = Unit.objects.create(municipality=self.y, parent=self.centre_y, kind=Unit.Kind.TEAM, name="Team 2")
            unit.name = "Team To"
            unit.save()
            unit.delete()
        events = self.new_events()
        self.assertEqual(
            [(e.action, e.object_type, e.actor_label, e.via, e.ip, e.municipality_code) for e in events],
            [
                (AuditEvent.Action.CREATE, "organisation.Unit", "jobtro import", "cli", None, "0727"),
                (AuditEvent.Action.UPDATE, "organisation.Unit", "jobtro import", "cli", None, "0727"),
                (AuditEvent.Action.DELETE, "organisation.Unit", "jobtro import", "cli", None, "0727"),
            ],
        )
        self.assertEqual(events[1].detail, {"changes": {"name": ["Team 2", "Team To"]}})

    def test_it_logs_changes_to_measurement_models(self) -> None:
        b = self.personas["caseworker_b"]
        assignment = CaseworkerAssignment.objects.get(citizen=self.citizen_a)
        assignment.end = date(2025, 9, 1)
        assignment.save()
        CaseworkerAssignment.objects.create(citizen=self.citizen_a, caseworker=b, start=date(2025, 9, 1))
        events = [e for e in self.new_events() if e.object_type == "measurement.CaseworkerAssignment"]
        self.assertEqual([e.action for e in events], [AuditEvent.Action.UPDATE, AuditEvent.Action.CREATE])
        self.assertEqual(events[0].detail, {"changes": {"end": [None, "2025-09-01"]}})
        # Assignments are found under their citizen's municipality.
        self.assertEqual({e.municipality_code for e in events}, {"0740"})

    def test_it_logs_the_cascade_when_a_staff_member_is_deleted(self) -> None:
        person = Staff.objects.create(username="kortvarig")
        membership = Membership.objects.create(staff=person, role=Role.KEY_PERSON, municipality=self.y)
        expected = {("organisation.Staff", str(person.pk)), ("organisation.Membership", str(membership.pk))}
        self.mark = last_event_id()
        person.delete()
        deleted = {(e.object_type, e.object_id) for e in self.new_events() if e.action == AuditEvent.Action.DELETE}
        self.assertEqual(deleted, expected)


class SecretFieldsTestCase(SimpleTestCase):
    def test_it_masks_every_password_and_encrypted_field_of_every_audited_model(self) -> None:
        from django.apps import apps

        from jobtro.audit import signals

        secret_looking = {
            (model._meta.label, field.name)
            for model in apps.get_models()
            if signals._audited(model)
            for field in model._meta.concrete_fields
            if field.name == "password" or field.name.endswith("_encrypted")
        }
        # The models that hold secrets today; a new one must be added to _SECRET_FIELDS as well.
        self.assertIn(("measurement.Citizen", "cpr_encrypted"), secret_looking)
        self.assertIn(("organisation.Staff", "password"), secret_looking)
        self.assertEqual({name for _, name in secret_looking} - signals._SECRET_FIELDS, set())
