"""Fixture for keryu-secret-compared-with-eq (semgrep --test): `ruleid` lines must match, `ok` lines must not."""

import hashlib
import hmac
import secrets


def webhook_signature_ok(secret: bytes, body: bytes, header: str) -> bool:
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    # ruleid: keryu-secret-compared-with-eq
    return expected == header.removeprefix("sha256=") or header == hmac.new(secret, body, "sha256").hexdigest()


def signature_mismatch(signature: str, computed: str) -> bool:
    # ruleid: keryu-secret-compared-with-eq
    return signature != computed


def token_matches(given_token: str, stored: str) -> bool:
    # ruleid: keryu-secret-compared-with-eq
    return given_token == stored


def digest_matches(a: bytes, b: bytes) -> bool:
    # ruleid: keryu-secret-compared-with-eq
    return hashlib.sha256(a).digest() == b


def constant_time(expected: str, signature: str, token: str, other: str) -> bool:
    # ok: keryu-secret-compared-with-eq
    same = hmac.compare_digest(expected, signature)
    # ok: keryu-secret-compared-with-eq
    return same and secrets.compare_digest(token, other)


def emptiness_and_length(token: str, signature: str | None) -> bool:
    # ok: keryu-secret-compared-with-eq
    if token == "":
        return False
    # ok: keryu-secret-compared-with-eq
    if signature is None or signature == None:  # noqa: E711
        return False
    # ok: keryu-secret-compared-with-eq
    return len(token) == 43


def unrelated(status: str, code: int) -> bool:
    # ok: keryu-secret-compared-with-eq
    return status == "sent" and code == 63016
