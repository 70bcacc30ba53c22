"""Encrypt the finder names already stored (raw SQL: the ORM would try to decrypt plain text). Runs twice safely."""

from django.db import migrations

TABLES = ["alerts_alarm", "alerts_scanevent"]


def _rewrite(schema_editor, transform) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in TABLES:
            qt = connection.ops.quote_name(table)
            cursor.execute(f"SELECT id, finder_name FROM {qt} WHERE finder_name <> ''")  # noqa: S608 - fixed names
            for pk, value in cursor.fetchall():
                new = transform(value)
                if new is not None:
                    cursor.execute(f"UPDATE {qt} SET finder_name = %s WHERE id = %s", [new, pk])  # noqa: S608


def forwards(apps, schema_editor) -> None:
    from core.encryption import encrypt_str

    _rewrite(schema_editor, lambda v: None if v.startswith("gAAAAA") else encrypt_str(v))


def backwards(apps, schema_editor) -> None:
    from core.encryption import decrypt_str

    _rewrite(schema_editor, lambda v: decrypt_str(v) if v.startswith("gAAAAA") else None)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0010_finder_name_encrypted")]

    operations = [migrations.RunPython(forwards, backwards)]
