"""Re-encrypt every encrypted registry column with the first key of KERYU_FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first (keep the old one after it), deploy, run this, then remove the old key.
Works on the stored tokens (MultiFernet.rotate), so it never needs the plain values in memory for long
and is safe to run twice.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from keryu_site.encryption import EncryptedMixin, rotate_str
from registry.models import Custodian, EmergencyContact, Subject


class Command(BaseCommand):
    help = "Re-encrypt encrypted registry fields with the first KERYU_FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options) -> None:
        total = 0
        for model in (Custodian, Subject, EmergencyContact):
            columns = [f.column for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]
            table = connection.ops.quote_name(model._meta.db_table)
            for column in columns:
                col = connection.ops.quote_name(column)
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f"SELECT id, {col} FROM {table} WHERE {col} <> ''")  # noqa: S608  # nosec B608: table and column from model _meta via quote_name, no input
                    for pk, token in cursor.fetchall():
                        cursor.execute(f"UPDATE {table} SET {col} = %s WHERE id = %s", [rotate_str(token), pk])  # noqa: S608  # nosec B608: names from model _meta, values are parameters
                        total += 1
            self.stdout.write(f"{model._meta.label}: {len(columns)} columns re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"{total} values re-encrypted with the first key."))
