"""Tests for jobtro.lib.encryption: field encryption at rest with key rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st

from jobtro.lib.encryption import DecryptionError, FieldCipher, generate_key, key_id

OLD_KEY = generate_key()
NEW_KEY = generate_key()


def test_generate_key_makes_distinct_fernet_keys() -> None:
    key = generate_key()
    assert isinstance(key, str)
    assert len(key) == 44
    assert len(base64.urlsafe_b64decode(key)) == 32
    Fernet(key)  # accepted by Fernet itself
    assert generate_key() != key


@pytest.mark.parametrize("text", ["0707614285", "Søren Ærø Åsgård", "æøå ÆØÅ", "", "a" * 1000, "名前 🙂"])
def test_round_trip(text: str) -> None:
    cipher = FieldCipher([NEW_KEY])
    token = cipher.encrypt(text)
    assert cipher.decrypt(token) == text


def test_token_format_carries_the_key_id() -> None:
    cipher = FieldCipher([NEW_KEY])
    token = cipher.encrypt("x")
    ident = key_id(NEW_KEY)
    assert token.startswith(f"k{ident}:")
    assert token.isascii()
    assert cipher.primary_key_id == ident
    # The body is a plain Fernet token under the key.
    assert Fernet(NEW_KEY).decrypt(token.split(":", 1)[1]) == b"x"


def test_key_id_is_hmac_of_the_raw_key() -> None:
    raw = base64.urlsafe_b64decode(NEW_KEY)
    assert key_id(NEW_KEY) == hmac.new(raw, b"jobtro-key-id", hashlib.sha256).hexdigest()[:8]


def test_same_plaintext_encrypts_differently_each_time() -> None:
    cipher = FieldCipher([NEW_KEY])
    tokens = {cipher.encrypt("Søren") for _ in range(5)}
    assert len(tokens) == 5
    assert {cipher.decrypt(t) for t in tokens} == {"Søren"}


def test_plaintext_is_not_visible_in_the_token() -> None:
    token = FieldCipher([NEW_KEY]).encrypt("0707614285")
    assert "0707614285" not in token
    assert b"0707614285" not in base64.urlsafe_b64decode(token.split(":", 1)[1])


def test_rotation() -> None:
    old_cipher = FieldCipher([OLD_KEY])
    old_token = old_cipher.encrypt("Åse Øster")

    rotated_cipher = FieldCipher([NEW_KEY, OLD_KEY])
    # The old token still decrypts after a new primary key is added.
    assert rotated_cipher.decrypt(old_token) == "Åse Øster"
    assert rotated_cipher.needs_rotation(old_token)

    new_token = rotated_cipher.rotate(old_token)
    assert not rotated_cipher.needs_rotation(new_token)
    assert new_token.startswith(f"k{key_id(NEW_KEY)}:")
    # After rotation only the new key is needed.
    assert FieldCipher([NEW_KEY]).decrypt(new_token) == "Åse Øster"
    with pytest.raises(DecryptionError):
        old_cipher.decrypt(new_token)


def test_new_tokens_use_the_primary_key() -> None:
    cipher = FieldCipher([NEW_KEY, OLD_KEY])
    token = cipher.encrypt("x")
    assert not cipher.needs_rotation(token)
    assert FieldCipher([NEW_KEY]).decrypt(token) == "x"


def test_rotate_of_a_current_token_gives_a_fresh_token() -> None:
    cipher = FieldCipher([NEW_KEY])
    token = cipher.encrypt("x")
    again = cipher.rotate(token)
    assert again != token
    assert cipher.decrypt(again) == "x"


def test_decrypt_falls_back_when_the_key_id_is_unknown() -> None:
    # A token whose prefix names no listed key is still tried against every key.
    body = Fernet(OLD_KEY).encrypt(b"x").decode()
    assert FieldCipher([NEW_KEY, OLD_KEY]).decrypt(f"k00000000:{body}") == "x"


def test_wrong_key_raises_decryption_error_naming_the_key_ids() -> None:
    token = FieldCipher([OLD_KEY]).encrypt("secret name")
    with pytest.raises(DecryptionError, match="no configured key fits") as excinfo:
        FieldCipher([NEW_KEY]).decrypt(token)
    message = str(excinfo.value)
    assert key_id(OLD_KEY) in message
    assert key_id(NEW_KEY) in message
    assert NEW_KEY not in message
    assert isinstance(excinfo.value, ValueError)


def test_key_removed_too_early_is_a_decryption_error() -> None:
    token = FieldCipher([NEW_KEY, OLD_KEY]).encrypt("x")
    other = FieldCipher([generate_key()])
    with pytest.raises(DecryptionError):
        other.decrypt(token)


def _flip(token: str, index: int) -> str:
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1 :]


@pytest.mark.parametrize("where", [20, 40, 60, -10, -2])
def test_tampered_token_raises_decryption_error(where: int) -> None:
    cipher = FieldCipher([NEW_KEY])
    token = cipher.encrypt("0707614285")
    tampered = _flip(token, where if where >= 0 else len(token) + where)
    with pytest.raises(DecryptionError):
        cipher.decrypt(tampered)


def test_truncated_token_raises_decryption_error() -> None:
    cipher = FieldCipher([NEW_KEY])
    token = cipher.encrypt("0707614285")
    with pytest.raises(DecryptionError, match="altered or truncated"):
        cipher.decrypt(token[:-8])


@pytest.mark.parametrize(
    "token",
    [
        "",
        "gAAAAABl",
        "k1234567:abc",
        "kXYZXYZXY:abc",
        "x12345678:abc",
        "k12345678abc",
        "k12345678:",
        "k12345678:æøå",
    ],
)
def test_malformed_token_raises_decryption_error(token: str) -> None:
    with pytest.raises(DecryptionError):
        FieldCipher([NEW_KEY]).decrypt(token)


def test_non_string_token_raises_decryption_error() -> None:
    with pytest.raises(DecryptionError):
        FieldCipher([NEW_KEY]).decrypt(b"k12345678:abc")  # type: ignore[arg-type]


def test_needs_rotation_refuses_a_malformed_token() -> None:
    with pytest.raises(DecryptionError):
        FieldCipher([NEW_KEY]).needs_rotation("not a token")


def test_encrypt_refuses_non_text() -> None:
    with pytest.raises(TypeError):
        FieldCipher([NEW_KEY]).encrypt(b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad_key",
    [
        "too-short",
        NEW_KEY[:-1],  # missing padding
        NEW_KEY[:-2] + "!=",  # character outside the alphabet
        NEW_KEY.replace("=", "") + "AAAA",  # too long
        "é" * 43 + "=",  # non-ASCII
        base64.b64encode(b"\xfb" * 32).decode(),  # standard (not urlsafe) base64: contains "+" or "/"
        "",
    ],
)
def test_bad_key_names_its_position_without_echoing_it(bad_key: str) -> None:
    with pytest.raises(ValueError, match="position 1") as excinfo:
        FieldCipher([NEW_KEY, bad_key])
    message = str(excinfo.value)
    assert "malformed" in message
    if bad_key:
        assert bad_key not in message
    assert NEW_KEY not in message
    # No chained exception that a traceback would print with the key in it.
    assert excinfo.value.__cause__ is None
    assert excinfo.value.__suppress_context__


def test_non_string_key_names_its_position() -> None:
    with pytest.raises(ValueError, match="position 0"):
        FieldCipher([base64.urlsafe_b64encode(b"k" * 32)])  # type: ignore[list-item]


def test_no_keys_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        FieldCipher([])


def test_a_single_string_is_not_taken_for_a_list_of_keys() -> None:
    with pytest.raises(ValueError, match="not a single string"):
        FieldCipher(NEW_KEY)


def test_duplicate_key_is_refused() -> None:
    with pytest.raises(ValueError, match="position 2"):
        FieldCipher([NEW_KEY, OLD_KEY, NEW_KEY])


def test_surrounding_whitespace_in_a_key_is_ignored() -> None:
    token = FieldCipher([f" {NEW_KEY}\n"]).encrypt("x")
    assert FieldCipher([NEW_KEY]).decrypt(token) == "x"


def test_repr_hides_the_keys() -> None:
    text = repr(FieldCipher([NEW_KEY, OLD_KEY]))
    assert NEW_KEY not in text
    assert OLD_KEY not in text
    assert key_id(NEW_KEY) in text


@settings(max_examples=50)
@given(st.text())
def test_round_trip_any_text(text: str) -> None:
    cipher = FieldCipher([NEW_KEY, OLD_KEY])
    assert cipher.decrypt(cipher.encrypt(text)) == text
    assert FieldCipher([NEW_KEY]).decrypt(cipher.rotate(FieldCipher([OLD_KEY]).encrypt(text))) == text


@settings(max_examples=50)
@given(st.text())
def test_decrypt_raises_only_decryption_error_on_arbitrary_text(text: str) -> None:
    cipher = FieldCipher([NEW_KEY])
    with pytest.raises(DecryptionError):
        cipher.decrypt(text)
    with pytest.raises(DecryptionError):
        cipher.decrypt(f"k{cipher.primary_key_id}:{text}")
