"""The finder's name is encrypted at rest like their phone (the scan page's promise covers both)."""

import core.encryption
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("alerts", "0009_alarm_first_situation_type")]

    operations = [
        migrations.AlterField(
            model_name="alarm",
            name="finder_name",
            field=core.encryption.EncryptedCharField(blank=True, max_length=100),
        ),
        migrations.AlterField(
            model_name="scanevent",
            name="finder_name",
            field=core.encryption.EncryptedCharField(blank=True, max_length=100),
        ),
    ]
