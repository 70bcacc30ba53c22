"""Encryption at rest shared by every app: Fernet fields, file bytes, and the keyed hash used for lookups.

Fernet (AES-128-CBC + HMAC), keys from KERYU_FIELD_ENCRYPTION_KEYS. Why our own small module: the values are
read and written only through the ORM, the keys must rotate (MultiFernet: the first key encrypts, every key
decrypts; `manage.py rotate_field_encryption` re-encrypts), and the phone field must keep
django-phonenumber-field's validation and E.164 normalisation. It lives here, not in `registry`, because
`messaging` (which may import no other app) keeps addresses and texts encrypted the same way.
Ciphertext is random per write, so these columns cannot be filtered on: lookups use a keyed hash beside them
(`keyed_hash`). The empty string is stored as is, so "blank" stays queryable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact
from phonenumber_field.modelfields import PhoneNumberField

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.lookups import Lookup

    # The mixin's super() calls reach a Field; at run time it is a plain mixin (Django fields take no
    # subscripts without django-stubs-ext's monkeypatch).
    _FieldBase = models.Field[Any, Any]
    _TextField = models.TextField[Any, Any]
    _CharField = models.CharField[Any, Any]
else:
    _FieldBase = object
    _TextField = models.TextField
    _CharField = models.CharField


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("KERYU_FIELD_ENCRYPTION_KEYS is empty.")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.KERYU_FIELD_ENCRYPTION_KEYS))


def encrypt_str(value: str) -> str:
    if value == "":
        return ""
    return fernet().encrypt(value.encode()).decode()


def decrypt_str(token: str) -> str:
    if token == "":
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        # Never fall back to returning the stored text: a wrong key must be loud, not silently leak or corrupt.
        raise ImproperlyConfigured("An encrypted field could not be decrypted with any configured key.") from exc


def encrypt_bytes(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return fernet().decrypt(token)
    except InvalidToken as exc:
        raise ImproperlyConfigured("An encrypted file could not be decrypted with any configured key.") from exc


def rotate_bytes(token: bytes) -> bytes:
    return fernet().rotate(token)


def keyed_hash(value: str) -> str:
    """An HMAC with its own key (KERYU_PHONE_HASH_KEY), never a plain hash: a plain SHA-256 of a 12-digit
    phone number is reversed by brute force in minutes. Equal inputs give equal hashes, so it can be looked up."""
    if not value:
        return ""
    return hmac.new(settings.KERYU_PHONE_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def phone_hash(e164: str) -> str:
    """Look a phone number up (duplicates, verification codes) without storing it in the clear."""
    return keyed_hash(e164)


def rotate_str(token: str) -> str:
    """Re-encrypt a stored token with the first key (MultiFernet.rotate keeps the original timestamp)."""
    if token == "":
        return ""
    return fernet().rotate(token.encode()).decode()


class BlankOnlyExact(Exact):
    """`=` on random ciphertext never matches a value: refuse it loudly instead of returning nothing.

    Only "" (stored as is) can be compared; look values up through a keyed hash column instead."""

    def get_prep_lookup(self) -> Any:
        if self.rhs != "":
            raise NotImplementedError(
                f"{self.lhs.field} is encrypted: it can only be compared with ''. Use its keyed hash to look up values."
            )
        return super().get_prep_lookup()


class EncryptedMixin(_FieldBase):
    """Plain value in Python, Fernet token in the database column (always `text`)."""

    encrypted = True

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value: str | None, expression: object, connection: BaseDatabaseWrapper) -> Any:
        if value is None:
            return value
        return self.to_python(decrypt_str(value))

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return value
        return encrypt_str(str(value))

    def get_lookup(self, lookup_name: str) -> type[Lookup[Any]] | None:
        # `isnull` and exact "" (blank) are the only lookups that mean something on random ciphertext.
        if lookup_name == "exact":
            return BlankOnlyExact
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)


class EncryptedTextField(EncryptedMixin, _TextField):
    pass


class EncryptedJSONField(EncryptedMixin, _TextField):
    """A JSON value (dicts, lists, strings) kept as an encrypted text column; None stays NULL."""

    if TYPE_CHECKING:  # what django-stubs' plugin reads for a model attribute of this field: any JSON value
        _pyi_private_set_type: Any
        _pyi_private_get_type: Any

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def from_db_value(self, value: str | None, expression: object, connection: BaseDatabaseWrapper) -> Any:
        if value is None:
            return value
        plain = decrypt_str(value)
        return json.loads(plain) if plain else self.get_default()

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return value
        return encrypt_str(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)


class EncryptedCharField(EncryptedMixin, _CharField):
    """max_length validates the plain text; the column is `text` because ciphertext is longer."""

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        return models.TextField().db_type(connection)


class EncryptedPhoneNumberField(EncryptedMixin, PhoneNumberField):
    """A PhoneNumberField (validation, E.164) whose stored value is encrypted."""

    if TYPE_CHECKING:  # PhoneNumberField's own argument (the library has no type hints)

        def __init__(self, *args: Any, region: str | None = None, **kwargs: Any) -> None: ...

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        return models.TextField().db_type(connection)
