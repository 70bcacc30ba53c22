"""The fixed cast: Alice with her subject and code, Bob who must never see Alice's data, staff, an editor."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client as DjangoClient

from core.roles import EDITORS, STAFF

from .factories import CustodianFactory, QRCodeFactory, SubjectFactory, UserFactory
from .reuse_db import schema_digest, store_digest, stored_digest


@pytest.fixture
def alice(db):
    custodian = CustodianFactory(user__username="alice", user__first_name="Alice", language="es")
    return custodian.user


@pytest.fixture
def alice_subject(alice):
    return SubjectFactory(
        custodian=alice.custodian, name="Sofía Arroyo", medical_conditions="Type 1 diabetes", allergies="Penicillin"
    )


@pytest.fixture
def alice_code(alice_subject):
    return QRCodeFactory(subject=alice_subject, is_active=True)


@pytest.fixture
def bob(db):
    custodian = CustodianFactory(user__username="bob", user__first_name="Bob", language="en")
    return custodian.user


@pytest.fixture
def bob_subject(bob):
    return SubjectFactory(custodian=bob.custodian, name="Walter Baker")


@pytest.fixture
def staff(db) -> User:
    return UserFactory(username="staff", is_staff=True, groups=[STAFF])


@pytest.fixture
def editor(db) -> User:
    return UserFactory(username="editor", groups=[EDITORS])


# --- The test database: `--reuse-db` keeps it between runs unless its migrations changed (tests/reuse_db.py) ---


@pytest.fixture(scope="session")
def django_db_createdb(request, django_db_modify_db_settings, django_db_use_migrations, django_db_blocker) -> bool:
    """Build the test database afresh for --create-db, and for --reuse-db when the kept one was built from other
    migrations (or carries no digest). Asked after pytest-django has named the database (xdist suffix)."""
    if request.config.getvalue("create_db"):
        return True
    if not request.config.getvalue("reuse_db"):
        return False  # pytest-django builds a fresh one anyway
    digest = schema_digest(use_migrations=django_db_use_migrations)
    with django_db_blocker.unblock():
        return any(
            stored_digest(alias, database=connections[alias].creation._get_test_db_name()) != digest
            for alias in connections
        )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_keepdb, django_db_use_migrations, django_db_blocker) -> None:
    """pytest-django's set-up, then a kept database is marked with the digest of the migrations it now has."""
    if django_db_keepdb:
        digest = schema_digest(use_migrations=django_db_use_migrations)
        with django_db_blocker.unblock():
            for alias in connections:
                store_digest(alias, digest)


def _components() -> tuple[str, str]:
    from keryu_site.celery import app

    return connections["default"].vendor, app.conf.broker_url.split("://", 1)[0]


def pytest_report_header(config) -> str:
    vendor, broker = _components()
    return f"keryu: database={vendor} broker={broker}"


def pytest_sessionstart(session) -> None:
    """CI sets KERYU_EXPECT_DATABASE / KERYU_EXPECT_BROKER so a silent fallback to SQLite fails the run."""
    import os

    vendor, broker = _components()
    expected = (os.environ.get("KERYU_EXPECT_DATABASE"), os.environ.get("KERYU_EXPECT_BROKER"))
    if expected[0] and expected[0] != vendor:
        raise pytest.UsageError(f"expected database {expected[0]}, got {vendor}")
    if expected[1] and expected[1] != broker:
        raise pytest.UsageError(f"expected broker {expected[1]}, got {broker}")


# Local fake providers (Meta Graph API, Twilio) for the messaging tests; see testkit/fakes/.
from testkit.fakes.fixtures import fake_meta, fake_twilio  # noqa: E402, F401

# --- Accounts (MFA on both consoles) -------------------------------------------------------------------
# Every /admin/ and /ops/ URL needs an OTP-verified session. The stock `client` and `admin_client` fixtures
# are replaced by a client whose login()/force_login() also verifies the session with a real (static)
# device, so tests about other things keep signing in as before. `password_only_client` does not.


def _otp_verify_session(client, user) -> None:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    device, _ = StaticDevice.objects.get_or_create(user=user, name="test-session", defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


class OTPVerifiedClient(DjangoClient):
    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        _otp_verify_session(self, user)

    def login(self, **credentials):
        ok = super().login(**credentials)
        if ok:
            from django.contrib.auth import get_user_model

            _otp_verify_session(self, get_user_model().objects.get(pk=self.session["_auth_user_id"]))
        return ok


@pytest.fixture
def client() -> OTPVerifiedClient:
    return OTPVerifiedClient()


@pytest.fixture
def admin_client(db, admin_user) -> OTPVerifiedClient:
    c = OTPVerifiedClient()
    c.force_login(admin_user)
    return c


@pytest.fixture
def password_only_client():
    """A plain Django test client: logging in gives a password-only session (no second factor)."""
    from django.test import Client

    return Client()


@pytest.fixture(autouse=True)
def _config_cache_fresh():
    """The shared cache outlives each test's database: the staff-edited tables kept there (core.config_cache)
    start each test unread, as after a deploy."""
    from django.core.cache import cache

    from alerts.services.recipients import POLICIES_KEY
    from messaging.selectors import CHANNEL_ORDER_KEY

    cache.delete_many([POLICIES_KEY, CHANNEL_ORDER_KEY])
    yield
