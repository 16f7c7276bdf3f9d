"""Keyed pseudonyms for CPR numbers and other identifiers (HMAC-SHA256, never a plain hash).

DOMAIN.md: analysis data holds only a keyed pseudonym of the CPR number. A plain hash would not do:
there are well under a billion possible CPR numbers (about 73,000 dates in 200 years times 10,000
serials), so anyone holding a SHA-256 column could hash every candidate and reverse it in minutes.
With HMAC the secret key is needed to compute (and so to test) any pseudonym.

Collision odds
--------------
A pseudonym keeps the first 15 bytes (120 bits) of the HMAC. By the birthday bound the chance that
any two of ``n`` distinct values share a pseudonym is about ``n**2 / 2**121``: for ``n = 10**7``
(more than every CPR number ever issued) that is about ``4e-23``; for ``n = 10**9`` about ``4e-19``.
Collisions can therefore be ignored in practice, and the pseudonym can serve as a unique key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

MIN_KEY_BYTES = 32
"""Shortest accepted key: 32 bytes, the output size of SHA-256 (RFC 2104 advises at least that)."""

PSEUDONYM_LENGTH = 24
"""Every pseudonym is exactly this many characters from :data:`PSEUDONYM_ALPHABET`."""

PSEUDONYM_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
"""RFC 4648 base32, lowercased: URL-safe, case-insensitive-safe, no look-alike punctuation."""

# 15 bytes are exactly 24 base32 characters (120 bits / 5), so there is never "=" padding.
_DIGEST_BYTES = 15

# Versioned domain-separation label: if the derivation ever has to change, a new label yields new
# pseudonyms instead of silently mixing two schemes under one key.
_LABEL = b"jobtro-pseudonym-v1"

# ASCII digits only, so that look-alike Unicode digits are not folded into a CPR number.
_CPR_SHAPE = re.compile(r"([0-9]{6})-?([0-9]{4})")


def canonical(value: str) -> str:
    """The form of ``value`` that is pseudonymised.

    Surrounding whitespace is removed, and a value shaped like a CPR number (DDMMYY-SSSS or
    DDMMYYSSSS) loses its hyphen, so both spellings of one number give one pseudonym. The number is
    not validated here: a pseudonym is also needed for numbers that fail :func:`jobtro.lib.cpr.parse`
    in messy source data, and validation is the caller's decision.

    Parameters
    ----------
    value : str
        A CPR number or other identifier.

    Returns
    -------
    str
        The canonical form.

    Raises
    ------
    TypeError
        If ``value`` is not a string.
    ValueError
        If ``value`` is empty or only whitespace (a shared pseudonym for "missing" would link
        unrelated people).
    """
    if not isinstance(value, str):
        raise TypeError(f"value must be a str, not {type(value).__name__}")
    text = value.strip()
    if not text:
        raise ValueError("cannot pseudonymise an empty value")
    match = _CPR_SHAPE.fullmatch(text)
    if match is not None:
        return match.group(1) + match.group(2)
    return text


class Pseudonymiser:
    """Keyed, deterministic pseudonyms: HMAC-SHA256(key, label, namespace, canonical value).

    The same key, namespace and value always give the same pseudonym, so records can be linked across
    imports; without the key a pseudonym can be neither computed nor reversed. Different namespaces
    give unrelated pseudonyms for the same value, so identifiers of different kinds (or for different
    purposes) cannot be joined by pseudonym.

    Parameters
    ----------
    key : bytes
        Secret key, at least :data:`MIN_KEY_BYTES` (32) bytes, e.g. ``secrets.token_bytes(32)``.
        Changing it changes every pseudonym.
    namespace : str, default "cpr"
        Non-empty label for the kind of identifier; must not contain NUL.

    Raises
    ------
    TypeError
        If ``key`` is not bytes or ``namespace`` not a str.
    ValueError
        If the key is shorter than 32 bytes, or the namespace is empty or contains NUL.

    Examples
    --------
    >>> p = Pseudonymiser(b"k" * 32)
    >>> p.pseudonym("010190-1234") == p.pseudonym("0101901234")
    True
    >>> len(p.pseudonym("0101901234"))
    24
    """

    __slots__ = ("_key", "_prefix")

    def __init__(self, key: bytes, *, namespace: str = "cpr") -> None:
        if not isinstance(key, bytes | bytearray):
            raise TypeError(f"key must be bytes, not {type(key).__name__}")
        if len(key) < MIN_KEY_BYTES:
            # The length is not secret; the key itself is never put in a message.
            raise ValueError(f"key must be at least {MIN_KEY_BYTES} bytes, got {len(key)} bytes")
        if not isinstance(namespace, str):
            raise TypeError(f"namespace must be a str, not {type(namespace).__name__}")
        if not namespace or "\x00" in namespace:
            raise ValueError("namespace must be a non-empty string without NUL characters")
        self._key = bytes(key)
        # NUL separates the fields; the label and the namespace contain none, so the encoding of
        # (namespace, value) is unambiguous and no two namespaces can produce the same message.
        self._prefix = _LABEL + b"\x00" + namespace.encode("utf-8") + b"\x00"

    def __repr__(self) -> str:
        # Never show the key; the namespace alone is enough to tell instances apart in a debugger.
        namespace = self._prefix[len(_LABEL) + 1 : -1].decode("utf-8")
        return f"Pseudonymiser(namespace={namespace!r})"

    def pseudonym(self, value: str) -> str:
        """The pseudonym of ``value``.

        Parameters
        ----------
        value : str
            A CPR number (hyphen optional, surrounding whitespace ignored) or other identifier;
            see :func:`canonical`.

        Returns
        -------
        str
            :data:`PSEUDONYM_LENGTH` (24) characters from :data:`PSEUDONYM_ALPHABET`.

        Raises
        ------
        TypeError
            If ``value`` is not a string.
        ValueError
            If ``value`` is empty or only whitespace.
        """
        message = self._prefix + canonical(value).encode("utf-8")
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:_DIGEST_BYTES]
        return base64.b32encode(digest).decode("ascii").lower()
