"""Re-encrypt every encrypted column (every app) and every subject photo with the first key of
KERYU_FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first (keep the old one after it), deploy, run this, then remove the old key.
Works on the stored tokens (MultiFernet.rotate), so it never needs the plain values in memory for long
and is safe to run twice. Columns are found by field class, so a model that gains an encrypted field is
covered without editing this command.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from core.encryption import EncryptedMixin, rotate_bytes, rotate_str
from registry.models import Subject


class Command(BaseCommand):
    help = "Re-encrypt encrypted fields and subject photos with the first KERYU_FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options) -> None:
        total = 0
        for model in apps.get_models():
            columns = [
                f.column for f in model._meta.local_concrete_fields if isinstance(f, EncryptedMixin) and f.column
            ]
            if not columns or model._meta.proxy or not model._meta.managed:
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            for column in columns:
                col = connection.ops.quote_name(column)
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f"SELECT id, {col} FROM {table} WHERE {col} <> ''")  # noqa: S608  # nosec B608: table and column from model _meta via quote_name, no input
                    for pk, token in cursor.fetchall():
                        cursor.execute(f"UPDATE {table} SET {col} = %s WHERE id = %s", [rotate_str(token), pk])  # noqa: S608  # nosec B608: names from model _meta, values are parameters
                        total += 1
            self.stdout.write(f"{model._meta.label}: {len(columns)} columns re-encrypted")
        photos = 0
        for subject in Subject.objects.exclude(photo="").only("pk", "photo"):
            storage, name = subject.photo.storage, subject.photo.name
            if name and storage.exists(name):
                path = Path(storage.path(name))
                fresh = path.with_suffix(path.suffix + ".rotating")
                fresh.write_bytes(rotate_bytes(path.read_bytes()))
                os.replace(fresh, path)  # never a half-written photo, even if the command dies mid-way
                photos += 1
        self.stdout.write(self.style.SUCCESS(f"{total} values and {photos} photos re-encrypted with the first key."))
