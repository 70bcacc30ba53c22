"""The spec's four situation texts and the verification code, in Spanish and English."""

import re

from django.db import migrations

from messaging.defaults import DEFAULTS


def create(apps, schema_editor):
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    for (kind, language), (subject_line, content) in DEFAULTS.items():
        names = sorted({part[1:-1] for part in re.findall(r"\{[a-z_]+\}", subject_line + content)})
        MessageTemplate.objects.get_or_create(
            kind=kind,
            language=language,
            channel="",
            defaults={
                "name": f"{kind.title().replace('_', ' ')} ({language})",
                "subject_line": subject_line,
                "content": content,
                "variables": names,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
