"""Encryption at rest for the few fields that must stay readable (CPR number, name), with key rotation.

Built on :class:`cryptography.fernet.Fernet` (AES-128-CBC + HMAC-SHA256, random IV, authenticated).
Fernet tokens do not say which key made them, so each stored token is prefixed with a short key id::

    k1a2b3c4d:gAAAAAB...

where ``1a2b3c4d`` is the first 8 hex digits of HMAC-SHA256(raw key, b"jobtro-key-id"). The id lets
:meth:`FieldCipher.needs_rotation` answer without trying keys, and lets :meth:`FieldCipher.decrypt` try
the right key first. It reveals nothing useful about the key (it is a keyed MAC of a constant).

Rotation: put a new key first in the list and keep the old ones after it. New tokens use the first
(primary) key; every listed key still decrypts. Re-encrypt stored tokens with :meth:`FieldCipher.rotate`
(e.g. in a batch job, selecting rows where :meth:`FieldCipher.needs_rotation` is true), then drop the
old key from the list.

Note that a Fernet token reveals the plaintext length rounded up to 16 bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from base64 import urlsafe_b64decode
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["DecryptionError", "FieldCipher", "generate_key", "key_id"]

_KEY_ID_LABEL = b"jobtro-key-id"
_KEY_ID_HEX = 8
# "k" + 8 hex digits + ":"; Fernet tokens are urlsafe base64 and never contain ":".
_PREFIX_LENGTH = 1 + _KEY_ID_HEX + 1
# 32 bytes in urlsafe base64: 43 characters and one "=" of padding.
_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}=")


class DecryptionError(ValueError):
    """A token could not be decrypted: malformed, tampered with, or made with a key that is not listed."""


def generate_key() -> str:
    """A new random key for :class:`FieldCipher` (32 bytes, urlsafe base64, 44 characters).

    Returns
    -------
    str
        The key, ready for an environment variable or secret file.
    """
    return Fernet.generate_key().decode("ascii")


def _raw_key(key: object) -> bytes:
    """Decode a Fernet key to its 32 bytes, or raise ValueError (without the key in the message)."""
    if not isinstance(key, str):
        raise ValueError(f"must be a str, not {type(key).__name__}")
    # Checked strictly up front: base64 decoding in the standard library (and so in Fernet) silently
    # skips characters outside the alphabet, which would let a mangled key through.
    if _KEY_PATTERN.fullmatch(key.strip()) is None:
        raise ValueError("must be 32 bytes encoded as urlsafe base64 (44 characters), as generate_key() makes")
    return urlsafe_b64decode(key.strip())


def key_id(key: str) -> str:
    """The short public id of a key, as written in front of its tokens.

    Parameters
    ----------
    key : str
        A Fernet key (urlsafe base64 of 32 bytes).

    Returns
    -------
    str
        8 lowercase hex digits.

    Raises
    ------
    ValueError
        If ``key`` is not a valid Fernet key.
    """
    # Derived from the decoded bytes, not the text, so that two spellings of one key (base64 has
    # unused padding bits) get one id.
    return hmac.new(_raw_key(key), _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:_KEY_ID_HEX]


class FieldCipher:
    """Encrypts and decrypts short text fields, with a list of keys for rotation.

    Parameters
    ----------
    keys : Sequence[str]
        One or more Fernet keys (see :func:`generate_key`). The first (primary) key encrypts; all of
        them decrypt. A single string is refused, so that a key is not mistaken for a list of
        one-character keys.

    Raises
    ------
    ValueError
        If there are no keys, a key is malformed (the message gives its position, never the key), or
        two keys are the same or share a key id.
    """

    __slots__ = ("_fernets", "_ids", "_primary_id")

    def __init__(self, keys: Sequence[str]) -> None:
        if isinstance(keys, str | bytes):
            raise ValueError("keys must be a sequence of keys, not a single string")
        keys = list(keys)
        if not keys:
            raise ValueError("at least one encryption key is required")
        fernets: dict[str, Fernet] = {}
        for position, key in enumerate(keys):
            try:
                ident = key_id(key)
            except ValueError as exc:
                # "from None": the decoding error's context can quote the key text.
                raise ValueError(f"encryption key at position {position} is malformed: {exc}") from None
            if ident in fernets:
                # Same key listed twice, or (chance about 2**-32) two keys with one id; either way
                # needs_rotation() could not tell them apart, so refuse rather than guess.
                raise ValueError(
                    f"encryption key at position {position} has the same key id as an earlier key "
                    "(duplicate key?); list each key once"
                )
            fernets[ident] = Fernet(key.strip())
        self._fernets = fernets  # insertion order: primary first
        self._ids = tuple(fernets)
        self._primary_id = self._ids[0]

    def __repr__(self) -> str:
        # Key ids are public (they are in every token); keys never appear.
        return f"FieldCipher(key_ids={list(self._ids)!r})"

    @property
    def primary_key_id(self) -> str:
        """The id of the key that encrypts."""
        return self._primary_id

    def encrypt(self, plaintext: str) -> str:
        """Encrypt ``plaintext`` with the primary key.

        Parameters
        ----------
        plaintext : str
            Any text (UTF-8 encoded before encryption).

        Returns
        -------
        str
            ``"k<key id>:<fernet token>"``; ASCII. A fresh random IV makes every call's result different.

        Raises
        ------
        TypeError
            If ``plaintext`` is not a string.
        """
        if not isinstance(plaintext, str):
            raise TypeError(f"plaintext must be a str, not {type(plaintext).__name__}")
        token = self._fernets[self._primary_id].encrypt(plaintext.encode("utf-8"))
        return f"k{self._primary_id}:{token.decode('ascii')}"

    def _split(self, token: str) -> tuple[str, str]:
        """The key id and the Fernet token of a stored token, or DecryptionError."""
        if not isinstance(token, str):
            raise DecryptionError(f"token must be a str, not {type(token).__name__}")
        ident, body = token[1 : 1 + _KEY_ID_HEX], token[_PREFIX_LENGTH:]
        well_formed = (
            len(token) > _PREFIX_LENGTH
            and token[0] == "k"
            and token[_PREFIX_LENGTH - 1] == ":"
            and all(c in "0123456789abcdef" for c in ident)
        )
        if not well_formed:
            raise DecryptionError("not an encrypted field: expected 'k<8 hex digits>:<Fernet token>'")
        return ident, body

    def decrypt(self, token: str) -> str:
        """Decrypt a token made by :meth:`encrypt` with any of the listed keys.

        Parameters
        ----------
        token : str
            A token as returned by :meth:`encrypt` or :meth:`rotate`.

        Returns
        -------
        str
            The plaintext.

        Raises
        ------
        DecryptionError
            If the token is malformed or tampered with, or none of the listed keys fits it.
        """
        ident, body = self._split(token)
        # The key named by the token first; then the others, which costs nothing when all is well
        # and still decrypts a token whose id no listed key has (it will fail unless corrupted).
        order = ([ident] if ident in self._fernets else []) + [i for i in self._ids if i != ident]
        for candidate in order:
            try:
                data = self._fernets[candidate].decrypt(body)
            except (InvalidToken, ValueError):
                # ValueError: Fernet raises it (not InvalidToken) for a non-ASCII token.
                continue
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                raise DecryptionError("decrypted data is not UTF-8 text; not a token from encrypt()") from None
        if ident in self._fernets:
            raise DecryptionError(f"token for key id {ident} fails authentication: it was altered or truncated")
        raise DecryptionError(
            f"no configured key fits this token: it names key id {ident}, the configured key ids are "
            f"{', '.join(self._ids)} (was its key removed from the list too early?)"
        )

    def needs_rotation(self, token: str) -> bool:
        """Whether the token was not made with the primary key (judged by its key id alone).

        Cheap: nothing is decrypted, so a true answer says nothing about whether the token is intact;
        :meth:`rotate` checks that.

        Raises
        ------
        DecryptionError
            If ``token`` is not shaped like a token from :meth:`encrypt`.
        """
        ident, _ = self._split(token)
        return ident != self._primary_id

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the primary key.

        Always produces a new token (new IV), also when the token already uses the primary key.

        Parameters
        ----------
        token : str
            A token made with any of the listed keys.

        Returns
        -------
        str
            A token made with the primary key.

        Raises
        ------
        DecryptionError
            As :meth:`decrypt`.
        """
        return self.encrypt(self.decrypt(token))
