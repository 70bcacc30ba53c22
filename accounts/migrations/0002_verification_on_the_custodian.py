"""Verification timestamps live once, on registry.Custodian: copy what only the Registration knew, then drop
the Registration's copies.

A Registration's timestamp is copied when the custodian has none. A phone timestamp is not copied when the
custodian changed after that verification: the registry clears `phone_verified_at` when the phone changes
(in a save that moves `updated_at`), and that clearing must stand.
"""

from django.db import migrations


def copy_to_custodian(apps, schema_editor) -> None:
    Registration = apps.get_model("accounts", "Registration")
    Custodian = apps.get_model("registry", "Custodian")
    rows = Registration.objects.exclude(email_verified_at=None, phone_verified_at=None)
    for reg in rows.iterator():
        # values(): the timestamps only, nothing encrypted is read.
        custodian = (
            Custodian.objects.filter(user_id=reg.user_id)
            .values("pk", "email_verified_at", "phone_verified_at", "updated_at")
            .first()
        )
        if custodian is None:
            continue
        fields = {}
        if reg.email_verified_at and custodian["email_verified_at"] is None:
            fields["email_verified_at"] = reg.email_verified_at
        phone_unchanged = custodian["updated_at"] <= reg.phone_verified_at if reg.phone_verified_at else False
        if phone_unchanged and custodian["phone_verified_at"] is None:
            fields["phone_verified_at"] = reg.phone_verified_at
        if fields:
            Custodian.objects.filter(pk=custodian["pk"]).update(**fields)


def copy_back(apps, schema_editor) -> None:
    Registration = apps.get_model("accounts", "Registration")
    Custodian = apps.get_model("registry", "Custodian")
    custodians = Custodian.objects.exclude(email_verified_at=None, phone_verified_at=None)
    for user_id, email_at, phone_at in custodians.values_list("user_id", "email_verified_at", "phone_verified_at"):
        Registration.objects.filter(user_id=user_id).update(email_verified_at=email_at, phone_verified_at=phone_at)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_accounts_initial"),
        ("registry", "0006_subject_photos_encrypted_at_rest"),
    ]

    operations = [
        migrations.RunPython(copy_to_custodian, copy_back),
        migrations.RemoveField(model_name="registration", name="email_verified_at"),
        migrations.RemoveField(model_name="registration", name="phone_verified_at"),
    ]
