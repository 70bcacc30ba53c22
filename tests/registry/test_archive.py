"""History is permanent: deleting a subject, custodian or user with alarms archives them instead.

Every door that deletes one of them is tried (the custodian's Wagtail delete and bulk delete, staff's
Wagtail user delete, the /ops/ user, custodian and subject deletes): the alarm, its reports and its
attempts survive, the codes stop working, the archived subject leaves the custodian's lists and choosers.
A subject or user without alarms is still truly deleted.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from alerts.models import Alarm, NotificationAttempt, ScanEvent
from registry.models import Custodian, EmergencyContact, QRCode, Subject
from registry.selectors import qr_code_get_for_scan

from ..factories import AlarmFactory, SubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_alarm(alice, alice_code):
    """Alice's subject has an open alarm with a joined report and an attempt to Alice."""
    alarm = AlarmFactory(qr_code=alice_code)
    ScanEvent.objects.create(alarm=alarm, situation_type="LOST", location="Second report")
    NotificationAttempt.objects.create(
        alarm=alarm, custodian=alice.custodian, recipient_key=f"custodian:{alice.custodian.pk}", channel="whatsapp"
    )
    return alarm


def _history_intact(alarm: Alarm) -> None:
    assert Alarm.objects.filter(pk=alarm.pk, subject_id=alarm.subject_id).exists()
    assert ScanEvent.objects.filter(alarm=alarm).count() == 1
    assert NotificationAttempt.objects.filter(alarm=alarm).count() == 1


def _archived(subject_pk: int) -> Subject:
    subject = Subject.objects.get(pk=subject_pk)
    assert subject.archived_at is not None and not subject.is_active
    assert not QRCode.objects.filter(subject=subject, is_active=True).exists()
    return subject


def test_a_custodian_deleting_a_subject_with_an_open_alarm_archives_it(client, alice, alice_code, open_alarm):
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    client.force_login(alice)
    url = f"/admin/snippets/registry/subject/delete/{alice_code.subject_id}/"
    page = client.get(url).content.decode()
    assert "will be archived" in page and "QR codes are switched off" in page
    response = client.post(url, follow=True)  # following consumes the "archived" flash message
    assert response.status_code == 200 and "archived, not deleted" in response.content.decode()
    _history_intact(open_alarm)
    _archived(alice_code.subject_id)
    assert qr_code_get_for_scan(code=alice_code.uuid) is None
    # Gone from her lists and choosers; the code with it.
    for listing in (
        "/admin/snippets/registry/subject/",
        "/admin/snippets/choose/registry/subject/",
        "/admin/snippets/registry/qrcode/",
    ):
        assert "Sofía Arroyo" not in client.get(listing).content.decode(), listing
    assert client.get(f"/admin/snippets/registry/subject/edit/{alice_code.subject_id}/").status_code == 404


def test_bulk_delete_archives_subjects_with_alarms_and_deletes_the_rest(client, alice, alice_code, open_alarm):
    spare = SubjectFactory(custodian=alice.custodian, name="No alarms")
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    client.force_login(alice)
    url = f"/admin/bulk/registry/subject/delete/?id={alice_code.subject_id}&id={spare.pk}"
    page = client.get(url).content.decode()
    assert "will be archived" in page
    assert client.post(url).status_code == 302
    _history_intact(open_alarm)
    _archived(alice_code.subject_id)
    assert not Subject.objects.filter(pk=spare.pk).exists()


def test_a_subject_without_alarms_is_still_deleted(client, alice, alice_code):
    client.force_login(alice)
    assert client.post(f"/admin/snippets/registry/subject/delete/{alice_code.subject_id}/").status_code == 302
    assert not Subject.objects.filter(pk=alice_code.subject_id).exists()


def test_deleting_the_custodian_record_with_alarms_archives_custodian_and_subjects(client, staff, alice, open_alarm):
    client.force_login(staff)
    response = client.post(f"/admin/snippets/registry/custodian/delete/{alice.custodian.pk}/")
    assert response.status_code == 302
    _history_intact(open_alarm)
    assert Custodian.objects.get(pk=alice.custodian.pk).archived_at is not None
    _archived(open_alarm.subject_id)


def _assert_user_archived(user: User, alarm: Alarm) -> None:
    _history_intact(alarm)
    user.refresh_from_db()
    assert not user.is_active
    assert Custodian.objects.get(user=user).archived_at is not None
    _archived(alarm.subject_id)


def test_ops_user_delete_with_alarms_archives_the_account_and_says_so(client, staff, alice, open_alarm):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    url = f"/ops/auth/user/{alice.pk}/delete/"
    page = client.get(url)
    assert page.status_code == 200 and "alarm history" in page.content.decode()
    response = client.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "archived" in response.content.decode()
    _assert_user_archived(alice, open_alarm)


def test_ops_bulk_user_delete_with_alarms_never_loses_history(client, staff, alice, bob, open_alarm):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    data = {"action": "delete_selected", "_selected_action": [alice.pk, bob.pk], "post": "yes"}
    response = client.post("/ops/auth/user/", data, follow=True)
    assert response.status_code == 200
    _assert_user_archived(alice, open_alarm)
    assert not User.objects.filter(pk=bob.pk).exists()  # no history: deleted


def test_wagtail_user_delete_with_alarms_archives_the_account(client, admin_user, alice, open_alarm):
    client.force_login(admin_user)
    url = f"/admin/users/delete/{alice.pk}/"
    page = client.get(url)
    assert page.status_code == 200 and "alarm history" in page.content.decode()
    response = client.post(url)
    assert response.status_code == 302
    _assert_user_archived(alice, open_alarm)


@pytest.mark.parametrize("model", ["subject", "custodian"])
def test_ops_subject_and_custodian_delete_with_alarms_archive(client, staff, alice, open_alarm, model):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    pk = open_alarm.subject_id if model == "subject" else alice.custodian.pk
    response = client.post(f"/ops/registry/{model}/{pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200
    _history_intact(open_alarm)
    _archived(open_alarm.subject_id)


def test_an_archived_subjects_code_cannot_be_switched_back_on_by_the_custodian(client, alice, alice_code, open_alarm):
    from registry.services import subject_archive

    subject_archive(subject=alice_code.subject)
    client.force_login(alice)
    response = client.post(f"/admin/registry/qr/{alice_code.pk}/toggle/", {"active": "1"})
    assert response.status_code == 404
    assert not QRCode.objects.get(pk=alice_code.pk).is_active


def test_an_archived_subjects_personal_data_is_purged_after_retention(alice_full, settings):
    from alerts.tasks import purge_scanner_data

    settings.KERYU_ARCHIVE_RETENTION_DAYS = 30
    subject = alice_full.subject
    photo = subject.photo.name
    alarm = AlarmFactory(qr_code=alice_full, description="Found near the fountain")
    fresh = type(subject).objects.create(custodian=subject.custodian, name="Archived yesterday", allergies="Nuts")
    Subject.objects.filter(pk=subject.pk).update(archived_at=timezone.now() - timedelta(days=31), is_active=False)
    Subject.objects.filter(pk=fresh.pk).update(archived_at=timezone.now() - timedelta(days=1), is_active=False)
    purge_scanner_data()
    subject.refresh_from_db()
    fresh.refresh_from_db()
    assert "Sofía" not in subject.name and subject.name
    assert (subject.medical_conditions, subject.allergies, subject.doctor_name, subject.photo.name) == ("", "", "", "")
    assert subject.date_of_birth is None and subject.personal_data_purged_at is not None
    assert not subject.photo.storage.exists(photo)
    assert not EmergencyContact.objects.filter(subject=subject).exists()
    assert Alarm.objects.filter(pk=alarm.pk, subject=subject, description="Found near the fountain").exists()
    assert (fresh.name, fresh.allergies) == ("Archived yesterday", "Nuts")  # inside retention: kept
