"""Citizens' identity: keyed pseudonyms, nothing identifiable stored in the clear, reveal only within
the user's identifiable scope (and only then a READ event)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from jobtro.audit.models import AuditEvent
from jobtro.lib.cpr import CPRError
from jobtro.lib.encryption import DecryptionError, FieldCipher, generate_key
from jobtro.measurement.identity import reveal, seal
from jobtro.measurement.models import Citizen
from jobtro.testing import PersonaTestCase, make_citizen

# The personas' passwords are hashed in every class's set-up; with the production hasher (slow on
# purpose) that would be most of these tests' run time, and hashing is not what they test.
fast_passwords = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])

OTHER_PSEUDONYM_KEY = "another-pseudonym-key-for-tests-0123456789abcdef"


@fast_passwords
class SealTestCase(PersonaTestCase):
    def test_it_gives_one_pseudonym_with_or_without_the_hyphen(self) -> None:
        self.assertEqual(seal("010190-1235", "Anna").pseudonym, seal("0101901235", "Anna").pseudonym)
        self.assertEqual(seal("0101901235", "Anna").pseudonym, self.citizen_a.pseudonym)

    def test_it_gives_different_pseudonyms_to_different_numbers(self) -> None:
        self.assertNotEqual(seal("0101901235", "Anna").pseudonym, seal("0202851236", "Anna").pseudonym)

    def test_it_depends_on_the_pseudonym_key(self) -> None:
        default = seal("0101901235", "Anna").pseudonym
        with override_settings(JOBTRO_PSEUDONYM_KEY=OTHER_PSEUDONYM_KEY):
            other = seal("0101901235", "Anna").pseudonym
            self.assertEqual(seal("010190-1235", "Anna").pseudonym, other)
        self.assertNotEqual(other, default)
        self.assertEqual(seal("0101901235", "Anna").pseudonym, default)  # the key cache follows the setting

    def test_it_encrypts_with_a_fresh_iv_and_derives_the_coarse_facts(self) -> None:
        a, b = seal("0101901235", "Anna Andersen"), seal("0101901235", "Anna Andersen")
        self.assertNotEqual(a.cpr_encrypted, b.cpr_encrypted)
        self.assertEqual(a.pseudonym, b.pseudonym)
        self.assertEqual((a.birth_year, a.female), (1990, False))
        self.assertEqual(seal("0202851236", "Bo").female, True)
        box = FieldCipher(settings.JOBTRO_ENCRYPTION_KEYS)
        self.assertEqual(box.decrypt(a.cpr_encrypted), "0101901235")
        self.assertEqual(box.decrypt(a.name_encrypted), "Anna Andersen")

    def test_it_stores_no_plaintext_cpr_or_name_in_any_column(self) -> None:
        citizen = make_citizen(self.y, "241299-4321", "Zacharias Østergaard")
        [row] = Citizen.objects.filter(pk=citizen.pk).values()
        text = " ".join(str(value) for value in row.values()).lower()
        for secret in ("2412994321", "241299-4321", "241299", "4321", "zacharias", "østergaard"):
            self.assertNotIn(secret, text)
        self.assertEqual(row["birth_year"], 1999)
        # And nothing identifiable in the audit log's record of the creation either.
        logged = " ".join(
            f"{e.object_repr} {e.detail}" for e in AuditEvent.objects.filter(object_id=str(citizen.pk))
        ).lower()
        for secret in ("2412994321", "zacharias", "østergaard"):
            self.assertNotIn(secret, logged)

    def test_it_refuses_a_malformed_cpr_number_and_writes_nothing(self) -> None:
        citizens, events = Citizen.objects.count(), AuditEvent.objects.count()
        for bad in ("", "12345", "0101901235x", "3202901235", "01-01901235", "٠١٠١٩٠١٢٣٥"):
            with self.subTest(bad=bad), self.assertRaises(CPRError):
                seal(bad, "Anna Andersen")
        with self.assertRaises(CPRError):
            make_citizen(self.x, "999999-9999", "Nobody")
        self.assertEqual(Citizen.objects.count(), citizens)
        self.assertEqual(AuditEvent.objects.count(), events)

    def test_it_keeps_the_rejected_value_out_of_the_message(self) -> None:
        with self.assertRaises(CPRError) as caught:
            seal("3202901235", "Anna")
        self.assertNotIn("3202901235", str(caught.exception))


@fast_passwords
class RevealTestCase(PersonaTestCase):
    def reads(self) -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(action=AuditEvent.Action.READ))

    def test_it_reveals_the_caseload_to_its_caseworker_and_logs_each_read(self) -> None:
        user = self.personas["caseworker_a"]
        shown = reveal(user, [self.citizen_a, self.citizen_a2], purpose="test")
        self.assertEqual(shown[self.citizen_a.pk].cpr, "010190-1235")
        self.assertEqual(shown[self.citizen_a.pk].name, "Anna Andersen")
        self.assertEqual(shown[self.citizen_a.pk].birth_date, "1990-01-01")
        self.assertEqual(shown[self.citizen_a2.pk].name, "Bo Berg")
        reads = self.reads()
        self.assertEqual(sorted(e.object_id for e in reads), sorted([str(self.citizen_a.pk), str(self.citizen_a2.pk)]))
        self.assertTrue(all(e.detail == {"purpose": "test"} and e.actor_id is None for e in reads))

    def test_it_reveals_a_municipalitys_citizens_to_its_data_manager(self) -> None:
        shown = reveal(self.personas["data_manager_y"], [self.citizen_y], purpose="test")
        self.assertEqual(shown[self.citizen_y.pk].name, "Dorte Dahl")
        self.assertEqual(len(self.reads()), 1)

    def test_it_refuses_anyone_outside_the_users_scope_and_logs_nothing(self) -> None:
        refused = [
            ("caseworker_a", [self.citizen_b]),  # another caseworker's citizen
            ("caseworker_a", [self.citizen_a, self.citizen_b]),  # one of them out of scope: none shown
            ("caseworker_a", [self.citizen_moved]),  # was A's, now B's
            ("caseworker_b", [self.citizen_y]),  # another municipality
            ("data_manager_y", [self.citizen_a]),  # the data manager's scope is Odder only
            ("team_leader", [self.citizen_a]),
            ("key_person", [self.citizen_a]),
            ("researcher", [self.citizen_a]),  # researchers never see identities
            ("administrator", [self.citizen_a]),
            ("outsider", [self.citizen_a]),
        ]
        for persona, citizens in refused:
            with self.subTest(persona=persona, citizens=citizens), self.assertRaises(PermissionDenied):
                reveal(self.personas[persona], citizens, purpose="test")
        self.assertEqual(self.reads(), [])

    def test_it_reveals_nothing_for_no_citizens(self) -> None:
        self.assertEqual(reveal(self.personas["researcher"], [], purpose="test"), {})
        self.assertEqual(self.reads(), [])

    def test_it_decrypts_with_the_current_keys(self) -> None:
        # The key the identity was sealed with is gone.
        with override_settings(JOBTRO_ENCRYPTION_KEYS=[generate_key()]), self.assertRaises(DecryptionError):
            reveal(self.personas["caseworker_a"], [self.citizen_a], purpose="test")
        self.assertEqual(self.reads(), [])
