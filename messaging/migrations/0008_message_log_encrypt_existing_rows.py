"""Encrypt the message log's existing addresses and texts, and replace stored address keys by keyed hashes.

Raw SQL: the ORM would try to decrypt the plain text. Safe to run twice (a Fernet token is left alone, a
64-character hex value is already a hash).
"""

import json
import re

from django.db import migrations

ENCRYPTED = {
    "messaging_message": ["to", "subject_line", "content", "provider_template", "error_message"],
    "messaging_inboundmessage": ["from_address", "body", "auto_reply"],
}
HASHED = ["messaging_message", "messaging_inboundmessage", "messaging_flaggedaddress"]
HEX64 = re.compile(r"[0-9a-f]{64}")


def _rewrite(schema_editor, table: str, column: str, transform) -> None:
    connection = schema_editor.connection
    qt, qc = connection.ops.quote_name(table), connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {qc} FROM {qt} WHERE {qc} IS NOT NULL AND {qc} <> ''")  # noqa: S608 - fixed names
        for pk, value in cursor.fetchall():
            new = transform(value)
            if new is not None and new != value:
                cursor.execute(f"UPDATE {qt} SET {qc} = %s WHERE id = %s", [new, pk])  # noqa: S608


def forwards(apps, schema_editor) -> None:
    from core.encryption import encrypt_str, keyed_hash

    for table, columns in ENCRYPTED.items():
        for column in columns:
            if column == "provider_template":
                # The old jsonb text ('{}' for none): stored re-serialised, as the field writes it.
                _rewrite(
                    schema_editor,
                    table,
                    column,
                    lambda v: (
                        None
                        if v.startswith("gAAAAA")
                        else encrypt_str(json.dumps(json.loads(v), ensure_ascii=False, sort_keys=True))
                    ),
                )
            else:
                _rewrite(schema_editor, table, column, lambda v: None if v.startswith("gAAAAA") else encrypt_str(v))
    for table in HASHED:
        _rewrite(schema_editor, table, "address_hash", lambda v: None if HEX64.fullmatch(v) else keyed_hash(v))


def backwards(apps, schema_editor) -> None:
    """Plain text again (the hashes stay hashes: a keyed hash cannot be reversed, and lookups still match)."""
    from core.encryption import decrypt_str

    for table, columns in ENCRYPTED.items():
        for column in columns:
            _rewrite(schema_editor, table, column, lambda v: decrypt_str(v) if v.startswith("gAAAAA") else None)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0007_message_log_encrypted_columns")]

    operations = [migrations.RunPython(forwards, backwards)]
