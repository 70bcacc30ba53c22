"""Inbound replies keep the provider's reply context and button payload and the message that carried our
answer back; a flagged address says why, and a wrong-number flag is looked up by the address's hash alone."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0009_message_log_address_hash_columns"),
    ]

    operations = [
        migrations.AddField(
            model_name="flaggedaddress",
            name="reason",
            field=models.CharField(
                choices=[
                    ("unreachable", "The provider keeps failing to reach it"),
                    ("wrong_number", "Its holder says it is a wrong number"),
                ],
                db_default="unreachable",
                default="unreachable",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="inboundmessage",
            name="answer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="messaging.message",
            ),
        ),
        migrations.AddField(
            model_name="inboundmessage",
            name="context_provider_id",
            field=models.CharField(blank=True, db_default="", default="", max_length=128),
        ),
        migrations.AddField(
            model_name="inboundmessage",
            name="payload",
            field=models.CharField(blank=True, db_default="", default="", max_length=256),
        ),
        migrations.AlterField(
            model_name="flaggedaddress",
            name="address_hash",
            field=models.CharField(db_index=True, max_length=64),
        ),
    ]
