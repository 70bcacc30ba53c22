"""/ops/ import and export: sensitive columns only on request, imports validated row by row."""

from __future__ import annotations

import pytest
import tablib
from django.urls import reverse

from core.encryption import phone_hash
from registry.models import Custodian, Subject
from registry.resources import CustodianResource, SubjectResource

pytestmark = pytest.mark.django_db


def test_export_leaves_sensitive_columns_out_by_default(alice_subject):
    data = SubjectResource().export(queryset=Subject.objects.all())
    assert "allergies" not in data.headers and "medical_conditions" not in data.headers
    assert "Penicillin" not in data.csv and "Sofía Arroyo" in data.csv
    full = SubjectResource(include_sensitive=True).export(queryset=Subject.objects.all())
    assert "Penicillin" in full.csv and "Type 1 diabetes" in full.csv


def test_the_ops_export_form_needs_the_explicit_tick(client, staff, alice_subject):
    client.force_login(staff)
    url = reverse("admin:registry_subject_export")
    page = client.get(url)
    assert page.status_code == 200 and "include_sensitive" in page.content.decode()
    plain = client.post(url, {"format": "0", "resource": "0"})
    assert plain.status_code == 200 and b"Sof\xc3\xada" in plain.content and b"Penicillin" not in plain.content
    full = client.post(url, {"format": "0", "resource": "0", "include_sensitive": "on"})
    assert b"Penicillin" in full.content


def test_ops_is_closed_to_custodians(client, alice, alice_subject):
    client.force_login(alice)
    response = client.get(reverse("admin:registry_subject_export"))
    assert response.status_code == 302 and "/ops/login/" in response["Location"]


def _custodian_rows(*rows) -> tablib.Dataset:
    data = tablib.Dataset(headers=["username", "email", "first_name", "last_name", "language", "phone_number"])
    for row in rows:
        data.append(row)
    return data


def test_custodian_import_creates_users_and_keeps_the_phone_hash():
    data = _custodian_rows(["maria", "maria@example.com", "María", "López", "es", "55 1111 2222"])
    result = CustodianResource(include_sensitive=True).import_data(data, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    custodian = Custodian.objects.get(user__username="maria")
    assert str(custodian.phone_number) == "+525511112222"
    assert custodian.phone_hash == phone_hash("+525511112222")
    assert custodian.user.groups.filter(name="Custodians").exists()


def test_custodian_import_reports_each_bad_row_and_writes_nothing(alice):
    alice.custodian.phone_number = "+525599990000"
    alice.custodian.save()
    from registry.services import custodian_phone_hash_sync

    custodian_phone_hash_sync(custodian=alice.custodian)
    data = _custodian_rows(
        ["ok", "ok@example.com", "Ok", "Row", "es", "+525533334444"],
        ["badphone", "b@example.com", "Bad", "Phone", "es", "not a phone"],
        ["badlang", "c@example.com", "Bad", "Lang", "xx", ""],
        ["dup", "d@example.com", "Dup", "Phone", "es", "+525599990000"],
    )
    result = CustodianResource(include_sensitive=True).import_data(data, dry_run=True)
    invalid = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(invalid) == {2, 3, 4}
    assert "phone_number" in invalid[2] and "language" in invalid[3]
    assert invalid[4]["phone_number"] == ["This phone number is already registered."]
    assert not Custodian.objects.filter(user__username__in=["ok", "badphone"]).exists()


def test_subject_import_validates_the_custodian_and_dates(alice):
    data = tablib.Dataset(headers=["custodian", "name", "date_of_birth", "allergies"])
    data.append(["alice", "Lucía Arroyo", "2019-04-02", "Peanuts"])
    data.append(["nobody", "Ghost", "2019-04-02", ""])
    data.append(["alice", "Bad Date", "not-a-date", ""])
    result = SubjectResource(include_sensitive=True).import_data(data, dry_run=True)
    assert result.has_validation_errors()
    invalid = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(invalid) == {2, 3} and not result.has_errors()
    assert invalid[2]["custodian"] == ["No custodian with username 'nobody'."]
    good = tablib.Dataset(headers=["custodian", "name", "date_of_birth", "allergies"])
    good.append(["alice", "Lucía Arroyo", "2019-04-02", "Peanuts"])
    result = SubjectResource(include_sensitive=True).import_data(good, dry_run=False)
    assert not result.has_validation_errors() and not result.has_errors()
    assert alice.custodian.subjects.get(name="Lucía Arroyo").allergies == "Peanuts"
