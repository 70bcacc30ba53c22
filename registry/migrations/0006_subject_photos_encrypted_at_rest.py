"""Encrypt the subject photos already on disk (registry.storage now stores Fernet tokens). Runs twice safely:
a file that already is a token is left alone. No schema change."""

import os
from pathlib import Path

from django.db import migrations

TOKEN_PREFIX = b"gAAAAA"  # every Fernet token starts with its version byte and timestamp, base64-encoded


def _rewrite(apps, transform) -> None:
    from registry.storage import photo_storage

    storage = photo_storage()
    Subject = apps.get_model("registry", "Subject")
    for name in Subject.objects.exclude(photo="").values_list("photo", flat=True):
        if not storage.exists(name):
            continue
        path = Path(storage.path(name))
        new = transform(path.read_bytes())
        if new is not None:
            fresh = path.with_suffix(path.suffix + ".migrating")
            fresh.write_bytes(new)
            os.replace(fresh, path)


def forwards(apps, schema_editor) -> None:
    from core.encryption import encrypt_bytes

    _rewrite(apps, lambda data: None if data.startswith(TOKEN_PREFIX) else encrypt_bytes(data))


def backwards(apps, schema_editor) -> None:
    from core.encryption import decrypt_bytes

    _rewrite(apps, lambda data: decrypt_bytes(data) if data.startswith(TOKEN_PREFIX) else None)


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_subject_custodian_archiving")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
