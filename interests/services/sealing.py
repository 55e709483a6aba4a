"""Secrets kept sealed in the database: encrypted and authenticated (Fernet), so a copy of the
database — a backup, a dump, a read-only SQL injection — does not give them away (OWASP ASVS 5.0
V11.1, V14.2: the second factor's secret is as sensitive as a password the server must read back).

`seal(text)` encrypts with the first of SECOND_FACTOR_KEYS; `unseal(token)` accepts a token made with
any of them (MultiFernet), so keys can be rotated: list a new key first, run
`flask --app interests second-factor rotate`, then drop the old one. A token that none of the keys
opens — made with a key no longer listed, or altered in the database — raises `Unsealable`; it is
never read as if it were the secret.

Unset, SECOND_FACTOR_KEYS is one key derived from SECRET_KEY (HKDF-SHA256 with a fixed label), so
a development laptop or an existing deployment needs nothing new; a new SECRET_KEY then gives a new
key, and the old one (`flask --app interests second-factor keys` prints it) must be listed until the
secrets are rotated. The key is kept apart from the database and its backups: a backup alone
cannot open them.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

# HKDF's "info" (RFC 5869): a label binding the derived key to this one use, so the same SECRET_KEY
# never gives the same key for anything else. Changing it would make every sealed secret unreadable.
DERIVED_KEY_LABEL = b"interests: second-factor secrets at rest, v1"
FERNET_KEY_BYTES = 32  # Fernet's key: 16 bytes to sign (HMAC-SHA256) and 16 to encrypt (AES-128)


class Unsealable(Exception):
    """A token that none of the keys opens (another key made it, or it was altered)."""


class BadKeys(ValueError):
    """SECOND_FACTOR_KEYS cannot be used; the message says why (it never quotes a key)."""


def derived_key(secret_key: str) -> str:
    """The Fernet key derived from SECRET_KEY, used when SECOND_FACTOR_KEYS is unset."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=FERNET_KEY_BYTES, salt=None, info=DERIVED_KEY_LABEL)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8"))).decode("ascii")


def keys_from_setting(value: str, secret_key: str) -> tuple[str, ...]:
    """SECOND_FACTOR_KEYS: comma-separated Fernet keys, newest first; unset, the derived key."""
    if not value.strip():
        return (derived_key(secret_key),)
    keys = tuple(part.strip() for part in value.split(","))
    for number, key in enumerate(keys, start=1):
        where = f"key {number} of {len(keys)}" if len(keys) > 1 else "its key"
        if not key:
            raise BadKeys(f"SECOND_FACTOR_KEYS has an empty entry ({where}): list keys separated by commas")
        try:
            Fernet(key)
        except ValueError:
            raise BadKeys(
                f"SECOND_FACTOR_KEYS: {where} is not a Fernet key (44 characters of URL-safe base64, "
                "for example from `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`)"
            ) from None
    return keys


def _sealer() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in current_app.config["SECOND_FACTOR_KEYS"]])


def seal(text: str) -> str:
    """`text` encrypted and signed with the first key: a URL-safe token (140 characters for 32)."""
    return _sealer().encrypt(text.encode("utf-8")).decode("ascii")


def unseal(token: str) -> str:
    """What `seal` sealed, with any of the keys; `Unsealable` if none of them opens it."""
    try:
        return _sealer().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as error:
        raise Unsealable("None of SECOND_FACTOR_KEYS opens this sealed secret") from error


def reseal(token: str) -> str:
    """The same secret sealed again with the first key (for rotation); `Unsealable` as `unseal`."""
    try:
        return _sealer().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as error:
        raise Unsealable("None of SECOND_FACTOR_KEYS opens this sealed secret") from error
