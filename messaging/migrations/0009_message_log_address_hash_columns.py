"""The keyed hashes are 64 hex characters; flagged addresses stay unique per channel and hash."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("messaging", "0008_message_log_encrypt_existing_rows")]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="address_hash",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="inboundmessage",
            name="address_hash",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        migrations.AlterField(model_name="flaggedaddress", name="address_hash", field=models.CharField(max_length=64)),
        migrations.AddConstraint(
            model_name="flaggedaddress",
            constraint=models.UniqueConstraint(fields=("channel", "address_hash"), name="flagged_address_unique"),
        ),
    ]
