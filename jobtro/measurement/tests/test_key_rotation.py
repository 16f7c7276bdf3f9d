"""Key rotation: with a new key first and the old one after it, rotate_keys() (and `jobtro
rotate-keys`) re-encrypts every stored identity so that the old key can be dropped."""

from __future__ import annotations

from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from jobtro.audit.models import AuditEvent
from jobtro.lib.encryption import FieldCipher, generate_key, key_id
from jobtro.measurement.identity import reveal, rotate_keys, rotation_status
from jobtro.measurement.models import Citizen
from jobtro.testing import PersonaTestCase, make_citizen

# The personas' passwords are hashed in every class's set-up; with the production hasher (slow on
# purpose) that would be most of these tests' run time, and hashing is not what they test.
fast_passwords = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@fast_passwords
class KeyRotationTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.old_keys = list(settings.JOBTRO_ENCRYPTION_KEYS)
        cls.new_key = generate_key()
        make_citizen(cls.y, "0606661240", "Frida Friis")
        make_citizen(cls.y, "0707671241", "Gustav Graa")
        box = FieldCipher(cls.old_keys)
        cls.plaintext = {
            c.pk: (box.decrypt(c.cpr_encrypted), box.decrypt(c.name_encrypted)) for c in Citizen.objects.all()
        }
        cls.n = len(cls.plaintext)

    def stored(self) -> dict[int, tuple[str, str]]:
        return {c.pk: (c.cpr_encrypted, c.name_encrypted) for c in Citizen.objects.all()}

    def assertReadableWithTheNewKeyOnly(self) -> None:
        box = FieldCipher([self.new_key])
        prefix = f"k{key_id(self.new_key)}:"
        for pk, (cpr, name) in self.stored().items():
            self.assertTrue(cpr.startswith(prefix) and name.startswith(prefix))
            self.assertEqual((box.decrypt(cpr), box.decrypt(name)), self.plaintext[pk])

    def test_it_reports_every_identity_stale_after_a_new_key_is_added(self) -> None:
        self.assertEqual(rotation_status(), (0, self.n))
        with override_settings(JOBTRO_ENCRYPTION_KEYS=[self.new_key, *self.old_keys]):
            self.assertEqual(rotation_status(), (self.n, self.n))

    def test_it_reencrypts_every_row_under_the_new_key(self) -> None:
        before = self.stored()
        with override_settings(JOBTRO_ENCRYPTION_KEYS=[self.new_key, *self.old_keys]):
            self.assertEqual(rotate_keys(), self.n)
            self.assertEqual(rotation_status(), (0, self.n))
        after = self.stored()
        self.assertTrue(all(after[pk][0] != before[pk][0] and after[pk][1] != before[pk][1] for pk in before))
        with override_settings(JOBTRO_ENCRYPTION_KEYS=[self.new_key]):
            self.assertReadableWithTheNewKeyOnly()
            self.assertEqual(rotation_status(), (0, self.n))
            fresh = Citizen.objects.get(pk=self.citizen_a.pk)
            shown = reveal(self.personas["caseworker_a"], [fresh], purpose="test")
            self.assertEqual(shown[self.citizen_a.pk].name, "Anna Andersen")

    def test_it_works_in_batches_smaller_than_the_table(self) -> None:
        with override_settings(JOBTRO_ENCRYPTION_KEYS=[self.new_key, *self.old_keys]):
            self.assertEqual(rotate_keys(batch_size=2), self.n)
            self.assertEqual(rotation_status(), (0, self.n))
        with override_settings(JOBTRO_ENCRYPTION_KEYS=[self.new_key]):
            self.assertReadableWithTheNewKeyOnly()

    def test_it_changes_nothing_a_second_time(self) -> None:
        with override_settings(JOBTRO_ENCRYPTION_KEYS=[self.new_key, *self.old_keys]):
            rotate_keys()
            once = self.stored()
            self.assertEqual(rotate_keys(), 0)
        self.assertEqual(self.stored(), once)

    def test_it_changes_nothing_without_a_new_key(self) -> None:
        before = self.stored()
        self.assertEqual(rotate_keys(), 0)
        self.assertEqual(self.stored(), before)

    def test_it_rotates_through_the_command_and_logs_one_bulk_event(self) -> None:
        mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        out = StringIO()
        with override_settings(JOBTRO_ENCRYPTION_KEYS=[self.new_key, *self.old_keys]):
            call_command("rotate-keys", stdout=out)
            self.assertEqual(rotation_status(), (0, self.n))
        self.assertIn(f"Re-encrypted {self.n} of {self.n}", out.getvalue())
        self.assertIn("0 still need rotation", out.getvalue())
        [event] = AuditEvent.objects.filter(id__gt=mark)
        self.assertEqual(event.action, AuditEvent.Action.BULK)
        self.assertEqual(event.object_type, "measurement.Citizen")
        self.assertEqual(event.detail, {"rotated": self.n})
        self.assertEqual((event.actor_label, event.via), ("jobtro rotate-keys", "cli"))
        with override_settings(JOBTRO_ENCRYPTION_KEYS=[self.new_key]):
            self.assertReadableWithTheNewKeyOnly()
