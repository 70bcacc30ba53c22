"""The message log's addresses and texts become encrypted text columns; address keys become keyed hashes.

Schema only (the values are converted by 0008, then 0009 narrows the hash columns): PostgreSQL refuses to
alter a table with pending trigger events, so data and schema changes go in separate migrations.
"""

import core.encryption
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("messaging", "0006_update_and_inactive_scan_kinds")]

    operations = [
        migrations.RemoveConstraint(model_name="flaggedaddress", name="flagged_address_unique"),
        migrations.RenameField(model_name="message", old_name="address_key", new_name="address_hash"),
        migrations.RenameField(model_name="inboundmessage", old_name="address_key", new_name="address_hash"),
        migrations.RenameField(model_name="flaggedaddress", old_name="address_key", new_name="address_hash"),
        migrations.AlterField(
            model_name="inboundmessage",
            name="address_hash",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=254),
        ),
        migrations.AlterField(
            model_name="message",
            name="to",
            field=core.encryption.EncryptedCharField(
                blank=True, help_text="Phone number (E.164) or email address.", max_length=254
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="subject_line",
            field=core.encryption.EncryptedCharField(blank=True, max_length=200),
        ),
        migrations.AlterField(model_name="message", name="content", field=core.encryption.EncryptedTextField()),
        migrations.AlterField(
            model_name="message",
            name="provider_template",
            field=core.encryption.EncryptedJSONField(
                blank=True, default=dict, help_text="WhatsApp template name, language and parameters sent, if any."
            ),
        ),
        migrations.AlterField(
            model_name="message", name="error_message", field=core.encryption.EncryptedTextField(blank=True)
        ),
        migrations.AlterField(
            model_name="inboundmessage",
            name="from_address",
            field=core.encryption.EncryptedCharField(blank=True, max_length=254),
        ),
        migrations.AlterField(
            model_name="inboundmessage", name="body", field=core.encryption.EncryptedTextField(blank=True)
        ),
        migrations.AlterField(
            model_name="inboundmessage", name="auto_reply", field=core.encryption.EncryptedTextField(blank=True)
        ),
    ]
