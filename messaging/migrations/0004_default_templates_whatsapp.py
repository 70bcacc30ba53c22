"""Shipped defaults get the spec's WhatsApp template (qr_template_on_m: subject name, time) and the
acknowledgement texts; existing rows an editor changed keep their text."""

import re

from django.db import migrations

from messaging.defaults import DEFAULT_WHATSAPP_PARAMETERS, DEFAULT_WHATSAPP_TEMPLATE, DEFAULTS, WHATSAPP_LANGUAGE_CODES

ALARM_KINDS = ("TEST", "INJURED", "LOST", "CONTACT")


def forward(apps, schema_editor):
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    for (kind, language), (subject_line, content) in DEFAULTS.items():
        names = sorted({part[1:-1] for part in re.findall(r"\{[a-z_]+\}", subject_line + content)})
        template, _ = MessageTemplate.objects.get_or_create(
            kind=kind,
            language=language,
            channel="",
            defaults={
                "name": f"{kind.title().replace('_', ' ')} ({language})",
                "subject_line": subject_line,
                "content": content,
                "variables": names,
                "live": True,
            },
        )
        if kind in ALARM_KINDS and not template.whatsapp_template_name:
            template.whatsapp_template_name = DEFAULT_WHATSAPP_TEMPLATE
            template.whatsapp_language_code = WHATSAPP_LANGUAGE_CODES[language]
            template.whatsapp_parameters = ",".join(DEFAULT_WHATSAPP_PARAMETERS)
            template.save(update_fields=["whatsapp_template_name", "whatsapp_language_code", "whatsapp_parameters"])


class Migration(migrations.Migration):
    dependencies = [("messaging", "0003_channels_templates_webhooks")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
