"""Tests for jobtro.lib.pseudonym: keyed, stable, canonicalising pseudonyms."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobtro.lib.pseudonym import PSEUDONYM_ALPHABET, PSEUDONYM_LENGTH, Pseudonymiser, canonical

KEY = b"0123456789abcdef0123456789abcdef"  # 32 bytes
OTHER_KEY = b"fedcba9876543210fedcba9876543210"


@pytest.fixture
def pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(KEY)


def test_stable_across_calls_and_instances(pseudonymiser: Pseudonymiser) -> None:
    first = pseudonymiser.pseudonym("0707614285")
    assert pseudonymiser.pseudonym("0707614285") == first
    assert Pseudonymiser(KEY).pseudonym("0707614285") == first


def test_known_value_pins_the_derivation() -> None:
    # Pinned so that an accidental change of label, encoding or truncation (which would break every
    # link to earlier data) fails a test. Recompute only together with a deliberate migration.
    assert Pseudonymiser(KEY).pseudonym("0707614285") == "nqn6fy6u65s56spd74cnnabm"


def test_is_hmac_sha256_of_label_namespace_and_value() -> None:
    # Independent recomputation of the documented construction.
    message = b"jobtro-pseudonym-v1\x00cpr\x000707614285"
    expected = base64.b32encode(hmac.new(KEY, message, hashlib.sha256).digest()[:15]).decode().lower()
    assert Pseudonymiser(KEY).pseudonym("070761-4285") == expected


def test_depends_on_the_key(pseudonymiser: Pseudonymiser) -> None:
    assert pseudonymiser.pseudonym("0707614285") != Pseudonymiser(OTHER_KEY).pseudonym("0707614285")


def test_depends_on_the_namespace(pseudonymiser: Pseudonymiser) -> None:
    other = Pseudonymiser(KEY, namespace="caseworker")
    assert pseudonymiser.pseudonym("0707614285") != other.pseudonym("0707614285")


def test_namespaces_cannot_be_shifted_into_the_value() -> None:
    # ("cpr", "x-1") and ("cpr-x", "1") must not hash the same bytes.
    assert Pseudonymiser(KEY, namespace="a").pseudonym("bc") != Pseudonymiser(KEY, namespace="ab").pseudonym("c")


def test_differs_from_a_plain_hash(pseudonymiser: Pseudonymiser) -> None:
    value = "0707614285"
    result = pseudonymiser.pseudonym(value)
    digest = hashlib.sha256(value.encode()).digest()
    plain_forms = {
        digest.hex(),
        digest.hex()[:PSEUDONYM_LENGTH],
        base64.b32encode(digest[:15]).decode().lower(),
        base64.b32encode(digest).decode().lower().rstrip("=")[:PSEUDONYM_LENGTH],
    }
    assert result not in plain_forms


@pytest.mark.parametrize("spelling", ["070761-4285", " 0707614285", "070761-4285\n", "\t070761-4285  "])
def test_cpr_spellings_share_a_pseudonym(pseudonymiser: Pseudonymiser, spelling: str) -> None:
    assert pseudonymiser.pseudonym(spelling) == pseudonymiser.pseudonym("0707614285")


def test_canonical() -> None:
    assert canonical(" 070761-4285 ") == "0707614285"
    assert canonical("0707614285") == "0707614285"
    # Not CPR-shaped: only trimmed, hyphens kept.
    assert canonical(" case-17 ") == "case-17"
    assert canonical("07076-14285") == "07076-14285"
    # Look-alike Unicode digits are not folded into a CPR number.
    assert canonical("０７０７６１-４２８５") == "０７０７６１-４２８５"


def test_different_numbers_differ(pseudonymiser: Pseudonymiser) -> None:
    assert pseudonymiser.pseudonym("0707614285") != pseudonymiser.pseudonym("0707614286")


@pytest.mark.parametrize("value", ["", "   ", "\n"])
def test_empty_value_is_refused(pseudonymiser: Pseudonymiser, value: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        pseudonymiser.pseudonym(value)


def test_non_string_value_is_refused(pseudonymiser: Pseudonymiser) -> None:
    with pytest.raises(TypeError):
        pseudonymiser.pseudonym(707614285)  # type: ignore[arg-type]


@pytest.mark.parametrize("length", [0, 1, 16, 31])
def test_short_key_is_refused_naming_the_requirement(length: int) -> None:
    with pytest.raises(ValueError, match="at least 32 bytes") as excinfo:
        Pseudonymiser(b"k" * length)
    assert f"got {length} bytes" in str(excinfo.value)


def test_32_byte_and_longer_keys_are_accepted() -> None:
    Pseudonymiser(b"k" * 32)
    Pseudonymiser(b"k" * 64)


def test_str_key_is_refused() -> None:
    with pytest.raises(TypeError, match="bytes"):
        Pseudonymiser("k" * 32)  # type: ignore[arg-type]


@pytest.mark.parametrize("namespace", ["", "a\x00b"])
def test_bad_namespace_is_refused(namespace: str) -> None:
    with pytest.raises(ValueError, match="namespace"):
        Pseudonymiser(KEY, namespace=namespace)


def test_repr_hides_the_key(pseudonymiser: Pseudonymiser) -> None:
    text = repr(pseudonymiser)
    assert "cpr" in text
    assert KEY.decode() not in text
    assert "0123456789" not in text


@given(st.text(min_size=1).filter(lambda s: s.strip() != ""))
def test_fixed_length_and_alphabet(value: str) -> None:
    result = Pseudonymiser(KEY).pseudonym(value)
    assert len(result) == PSEUDONYM_LENGTH == 24
    assert set(result) <= set(PSEUDONYM_ALPHABET)


@given(st.from_regex(r"[0-9]{10}", fullmatch=True))
def test_hyphenated_and_bare_cpr_agree(digits: str) -> None:
    p = Pseudonymiser(KEY)
    assert p.pseudonym(f"{digits[:6]}-{digits[6:]}") == p.pseudonym(digits)
