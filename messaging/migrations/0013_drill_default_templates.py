"""The shipped drill texts (the monthly check and the custodian's notice of a flag), live, with their WhatsApp
templates. The kinds are new, so no editor has touched these rows yet."""

import re

from django.db import migrations

from messaging.defaults import DEFAULTS, WHATSAPP_LANGUAGE_CODES, WHATSAPP_TEMPLATES

KINDS = ("DRILL", "DRILL_FLAGGED")


def forward(apps, schema_editor):
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    for (kind, language), (subject_line, content) in DEFAULTS.items():
        if kind not in KINDS:
            continue
        name, parameters = WHATSAPP_TEMPLATES[kind]
        whatsapp = {
            "whatsapp_template_name": name,
            "whatsapp_language_code": WHATSAPP_LANGUAGE_CODES[language],
            "whatsapp_parameters": ",".join(parameters),
        }
        template, _ = MessageTemplate.objects.get_or_create(
            kind=kind,
            language=language,
            channel="",
            defaults={
                "name": f"{kind.title().replace('_', ' ')} ({language})",
                "subject_line": subject_line,
                "content": content,
                "variables": sorted({part[1:-1] for part in re.findall(r"\{[a-z_]+\}", subject_line + content)}),
                "live": True,
                **whatsapp,
            },
        )
        # A new database's first migration (0002) already wrote these rows from today's DEFAULTS, without them.
        if not template.whatsapp_template_name:
            for field, value in whatsapp.items():
                setattr(template, field, value)
            template.save(update_fields=list(whatsapp))


class Migration(migrations.Migration):
    dependencies = [("messaging", "0012_drill_template_kinds")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
