"""The migration that drops the Registration's copies of the verification timestamps first hands what only
the Registration knew to the custodian, and leaves a custodian's own (newer) state alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from registry.models import Custodian

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0001_accounts_initial")]


def test_verification_timestamps_move_to_the_custodian_before_the_columns_go(alice, bob, staff):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Registration = old.get_model("accounts", "Registration")
    signed_up = timezone.now() - timedelta(days=3)
    email_at, phone_at = signed_up + timedelta(minutes=5), signed_up + timedelta(minutes=2)
    # Alice: verified before the registry kept the timestamps (her custodian has none).
    Custodian.objects.filter(user=alice).update(email_verified_at=None, phone_verified_at=None, updated_at=signed_up)
    Registration.objects.create(user_id=alice.pk, email_verified_at=email_at, phone_verified_at=phone_at)
    # Bob: staff changed his phone yesterday, which cleared its verification on the custodian; his email was
    # verified again since, and the custodian's time is the one that stands.
    bob_email_again = timezone.now() - timedelta(hours=1)
    Custodian.objects.filter(user=bob).update(
        email_verified_at=bob_email_again, phone_verified_at=None, updated_at=timezone.now() - timedelta(days=1)
    )
    Registration.objects.create(user_id=bob.pk, email_verified_at=email_at, phone_verified_at=phone_at)
    # Staff have no custodian: nothing to copy, nothing breaks.
    Registration.objects.create(user_id=staff.pk, email_verified_at=email_at)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # every app: a rollback may have taken dependants down

    alice_custodian, bob_custodian = Custodian.objects.get(user=alice), Custodian.objects.get(user=bob)
    assert (alice_custodian.email_verified_at, alice_custodian.phone_verified_at) == (email_at, phone_at)
    assert (bob_custodian.email_verified_at, bob_custodian.phone_verified_at) == (bob_email_again, None)
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, "accounts_registration")}
    assert not {"email_verified_at", "phone_verified_at"} & columns
