"""Households: several custodians per subject, invited by email, each with their own console and channels."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings

from alerts.models import RecipientKind
from alerts.selectors import alarms_visible_to
from alerts.services.recipients import recipients_for
from registry.models import Custodian, CustodianRole, Custodianship, Subject
from registry.selectors import qr_codes_visible_to, subjects_visible_to
from registry.services import (
    custodian_remove,
    custodianship_join,
    custodianship_leave,
    household_invitation_read,
    household_invitation_token,
)
from tests.factories import AlarmFactory, CustodianFactory, SubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(db):
    return CustodianFactory(
        user__username="carol", user__first_name="Carol", user__email="carol@example.com", language="en"
    ).user


@pytest.fixture
def shared(alice_code, carol):
    """Alice's subject, shared with Carol."""
    subject = alice_code.subject
    Custodianship.objects.create(subject=subject, custodian=carol.custodian, role=CustodianRole.CO)
    return subject


def _invite_link(body: str) -> str:
    return re.search(r"http\S+/accounts/invitation/(\S+)/", body).group(1)


def test_every_subject_has_its_first_custodian_as_a_custodianship(alice_subject, alice):
    ship = Custodianship.objects.get(subject=alice_subject)
    assert (ship.custodian, ship.role) == (alice.custodian, CustodianRole.OWNER)


def test_staff_reassigning_a_subject_moves_the_first_custodian(alice_subject, bob):
    alice_subject.custodian = bob.custodian
    alice_subject.save()
    assert list(Custodianship.objects.filter(subject=alice_subject).values_list("custodian", "role")) == [
        (bob.custodian.pk, CustodianRole.OWNER)
    ]


def test_the_migration_gives_every_existing_subject_its_first_custodian(alice_subject):
    """The data migration's function on a subject that has no custodianship (as before the migration)."""
    from importlib import import_module

    from django.apps import apps

    Custodianship.objects.all().delete()
    import_module("registry.migrations.0008_house_custodianship").first_custodians(apps, None)
    assert Custodianship.objects.get(subject=alice_subject).role == CustodianRole.OWNER


def test_a_co_custodian_sees_the_shared_subject_its_codes_and_alarms(shared, alice_code, carol, bob):
    alarm = AlarmFactory(qr_code=alice_code)
    assert list(subjects_visible_to(carol)) == [shared]
    assert list(qr_codes_visible_to(carol)) == [alice_code]
    assert list(alarms_visible_to(carol)) == [alarm]
    # One row each, however many custodians the subject has.
    assert subjects_visible_to(shared.custodian.user).count() == 1
    # A third family sees nothing.
    assert not subjects_visible_to(bob).exists()
    assert not alarms_visible_to(bob).exists()


def test_every_custodian_is_notified_as_a_custodian_in_their_own_language(shared, alice_code, alice, carol):
    alarm = AlarmFactory(qr_code=alice_code, situation_type="LOST")
    custodians = [r for r, _delay in recipients_for(alarm=alarm) if r.kind == RecipientKind.CUSTODIAN]
    assert [(r.custodian_id, r.language, _delay) for r, _delay in [(c, None) for c in custodians]] == [
        (alice.custodian.pk, "es", None),
        (carol.custodian.pk, "en", None),
    ]


def test_the_first_custodian_invites_by_email_and_the_invitee_accepts(client, alice, alice_subject, carol):
    client.force_login(alice)
    response = client.post(
        f"/admin/profile/household/{alice_subject.pk}/", {"invite": "1", "email": "carol@example.com", "language": "en"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert mail.outbox[-1].to == ["carol@example.com"]
    assert "invites you to care for Sofía" in mail.outbox[-1].subject
    token = _invite_link(mail.outbox[-1].body)
    client.force_login(carol)
    page = client.get(f"/accounts/invitation/{token}/")
    assert "Alice" in page.content.decode() and "Sofía" in page.content.decode()
    response = client.post(f"/accounts/invitation/{token}/")
    assert response.status_code == 302
    assert Custodianship.objects.filter(subject=alice_subject, custodian=carol.custodian, role="co").exists()
    # Her own console shows the subject now.
    assert client.get(f"/admin/snippets/registry/subject/inspect/{alice_subject.pk}/").status_code == 200


def test_an_invitation_email_is_written_in_the_chosen_language(client, alice, alice_subject):
    client.force_login(alice)
    client.post(
        f"/admin/profile/household/{alice_subject.pk}/", {"invite": "1", "email": "dora@example.com", "language": "es"}
    )
    assert "te invita" in mail.outbox[-1].subject


def test_the_invitee_signs_up_with_the_same_verification_and_joins(client, alice, alice_subject):
    token = household_invitation_token(subject=alice_subject, inviter=alice.custodian, email="Dora@Example.com")
    page = client.get(f"/accounts/invitation/{token}/")
    assert page.status_code == 200
    assert client.post(f"/accounts/invitation/{token}/")["Location"] == "/accounts/signup/"
    signup = client.get("/accounts/signup/")
    assert 'value="dora@example.com"' in signup.content.decode()
    data = {
        "first_name": "Dora",
        "last_name": "Díaz",
        "email": "dora@example.com",
        "password": "violet-harbour-lantern-42",
        "phone": "+1 415 555 0134",
        "language": "en",
    }
    with override_settings(KERYU_INSTANT_VERIFICATION=False):
        assert client.post("/accounts/signup/", data)["Location"] == "/accounts/signup/phone/"
        dora = Custodian.objects.get(user__email="dora@example.com")
        # Not a custodian of anything before the phone is verified.
        assert not Custodianship.objects.filter(custodian=dora).exists()
        from tests.accounts.conftest import last_code

        response = client.post("/accounts/signup/phone/", {"code": last_code(dora.user)})
        assert response["Location"] == "/accounts/signup/done/"
        client.get("/accounts/signup/done/")
    assert Custodianship.objects.get(custodian=dora).subject == alice_subject


def test_an_invitation_works_only_for_the_address_it_was_sent_to(alice, alice_subject, bob):
    token = household_invitation_token(subject=alice_subject, inviter=alice.custodian, email="carol@example.com")
    with pytest.raises(ValidationError, match="another email"):
        custodianship_join(token=token, custodian=bob.custodian)
    assert not subjects_visible_to(bob).exists()


def test_a_forged_or_expired_invitation_is_refused(alice, alice_subject):
    with pytest.raises(ValidationError, match="not valid"):
        household_invitation_read("nonsense")
    token = household_invitation_token(subject=alice_subject, inviter=alice.custodian, email="carol@example.com")
    with override_settings(KERYU_HOUSEHOLD_INVITATION_DAYS=0), pytest.raises(ValidationError, match="expired"):
        household_invitation_read(token)


def test_only_the_first_custodian_invites(shared, carol, client):
    with pytest.raises(ValidationError, match="first custodian"):
        household_invitation_token(subject=shared, inviter=carol.custodian, email="x@example.com")
    client.force_login(carol)
    page = client.get(f"/admin/profile/household/{shared.pk}/").content.decode()
    assert "Invite another custodian" not in page and "Stop caring" in page


def test_another_family_cannot_open_or_use_the_household_page(client, alice_subject, bob, alice):
    client.force_login(bob)
    assert client.get(f"/admin/profile/household/{alice_subject.pk}/").status_code == 404
    client.post(
        f"/admin/profile/household/{alice_subject.pk}/", {"invite": "1", "email": "bob@example.com", "language": "en"}
    )
    assert not mail.outbox


def test_a_co_custodian_can_leave(shared, carol, client):
    client.force_login(carol)
    response = client.post(f"/admin/profile/household/{shared.pk}/", {"leave": "1"})
    assert response.status_code == 302
    assert not subjects_visible_to(carol).exists()


def test_the_last_custodian_cannot_leave(alice_subject, alice, client):
    with pytest.raises(ValidationError, match="at least one custodian"):
        custodianship_leave(subject=alice_subject, custodian=alice.custodian)
    client.force_login(alice)
    client.post(f"/admin/profile/household/{alice_subject.pk}/", {"leave": "1"})
    assert Custodianship.objects.filter(subject=alice_subject).count() == 1


def test_when_the_first_custodian_leaves_the_next_one_takes_over(shared, alice, carol):
    custodianship_leave(subject=shared, custodian=alice.custodian)
    shared.refresh_from_db()
    assert shared.custodian == carol.custodian
    assert Custodianship.objects.get(subject=shared).role == CustodianRole.OWNER
    assert not subjects_visible_to(alice).exists()


def test_removing_the_first_custodians_account_leaves_the_shared_subject_with_the_household(shared, alice, carol):
    custodian_remove(custodian=alice.custodian)
    assert Subject.objects.get(pk=shared.pk).custodian == carol.custodian
    assert list(subjects_visible_to(carol)) == [shared]


def test_a_co_custodian_edits_the_shared_subject_without_changing_whose_it_is(shared, carol, alice, client):
    client.force_login(carol)
    url = f"/admin/snippets/registry/subject/edit/{shared.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    shared.refresh_from_db()
    assert shared.custodian == alice.custodian


def test_the_api_lists_the_shared_subject_to_the_co_custodian(shared, carol, bob):
    assert [row["id"] for row in _api_rows(carol, "/api/subjects/")] == [shared.pk]
    SubjectFactory(custodian=bob.custodian)
    assert shared.pk not in [row["id"] for row in _api_rows(bob, "/api/subjects/")]


def _api_rows(user, url: str) -> list[dict]:
    from django.core.cache import cache
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    cache.clear()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    body = client.get(url).json()
    return body["results"] if isinstance(body, dict) else body


def test_every_custodian_hears_of_a_scan_of_a_deactivated_badge(shared, alice, carol):
    from alerts.services.reports import inactive_scan_notify, inactive_scan_record
    from messaging.models import Message
    from tests.factories import QRCodeFactory

    inactive = QRCodeFactory(subject=shared, is_active=False)
    scan = inactive_scan_record(qr_code=inactive)
    assert inactive_scan_notify(scan_id=scan.pk)
    told = Message.objects.filter(kind="INACTIVE_SCAN")
    assert {m.owner_id for m in told} == {alice.pk, carol.pk}
    by_owner = {m.owner_id: m.content for m in told}
    assert "DESACTIVADA" in by_owner[alice.pk] and "DEACTIVATED" in by_owner[carol.pk]


# --- Archiving a shared subject is the first custodian's; the others are told -------------------------------


def _delete_url(subject: Subject) -> str:
    return f"/admin/snippets/registry/subject/delete/{subject.pk}/"


def test_a_co_custodian_is_refused_the_archive_and_offered_to_leave(client, shared, alice_code, carol):
    AlarmFactory(qr_code=alice_code)  # history: "delete" would archive
    client.force_login(carol)
    inspect = client.get(f"/admin/snippets/registry/subject/inspect/{shared.pk}/").content.decode()
    assert _delete_url(shared) not in inspect  # no Delete/Archive button for her
    assert "data-keryu-leave-household" in inspect and "Leave this household" in inspect
    assert _delete_url(shared) not in client.get("/admin/snippets/registry/subject/").content.decode()
    for method in (client.get, client.post):
        response = method(_delete_url(shared), follow=True)
        assert response.redirect_chain[0][0] == f"/admin/profile/household/{shared.pk}/"
        assert "Only the first custodian of Sofía Arroyo can archive them" in response.content.decode()
    shared.refresh_from_db()
    assert shared.archived_at is None and shared.is_active
    assert not mail.outbox


def test_a_co_custodians_bulk_delete_leaves_the_shared_subject_alone(client, shared, carol):
    client.force_login(carol)
    url = f"/admin/bulk/registry/subject/delete/?id={shared.pk}"
    client.post(url)
    assert Subject.objects.filter(pk=shared.pk, archived_at__isnull=True).exists()


def test_the_service_refuses_a_co_custodian_too(shared, carol):
    from registry.services import subject_remove

    with pytest.raises(ValidationError) as refused:
        subject_remove(subject=shared, actor=carol)
    assert refused.value.code == "not_first_custodian"
    assert Subject.objects.filter(pk=shared.pk, archived_at__isnull=True).exists()


def test_when_the_first_custodian_archives_every_other_custodian_is_told_in_their_language(
    client, django_capture_on_commit_callbacks, shared, alice, alice_code, carol
):
    dora = CustodianFactory(user__username="dora", user__email="dora@example.com", language="es")
    Custodianship.objects.create(subject=shared, custodian=dora, role=CustodianRole.CO)
    AlarmFactory(qr_code=alice_code)
    client.force_login(alice)
    assert client.get(_delete_url(shared)).status_code == 200  # her confirmation page stays
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(_delete_url(shared)).status_code == 302
    shared.refresh_from_db()
    assert shared.archived_at is not None
    told = {message.to[0]: message for message in mail.outbox}
    assert set(told) == {"carol@example.com", "dora@example.com"}  # not Alice herself
    assert told["carol@example.com"].subject == f"{alice.get_full_name()} archived Sofía Arroyo on Keryu"
    assert "QR codes are switched off" in told["carol@example.com"].body
    assert told["dora@example.com"].subject == f"{alice.get_full_name()} archivó a Sofía Arroyo en Keryu"
    assert "códigos QR" in told["dora@example.com"].body
    # Archiving again tells nobody twice.
    mail.outbox.clear()
    from registry.services import subject_remove

    with django_capture_on_commit_callbacks(execute=True):
        subject_remove(subject=shared)
    assert not mail.outbox
