"""The notices about an alarm: ACKNOWLEDGED now names who is handling it ({handler}), RESOLVED goes to everyone
told, RESOLVED_FINDER to the finder. Shipped texts are seeded live; an ACKNOWLEDGED row an editor changed keeps
its text (only the old shipped text is replaced)."""

import re

from django.db import migrations, models

from messaging.defaults import DEFAULTS

NEW_KINDS = ("ACKNOWLEDGED", "RESOLVED", "RESOLVED_FINDER")
OLD_ACKNOWLEDGED = {
    "en": (
        "Keryu: the alarm for {subject_name} was acknowledged",
        "✅ ACKNOWLEDGED\nYu: {subject_name}\nAlarm: {situation} at {timestamp}\nA custodian has answered; no action needed.",
    ),
    "es": (
        "Keryu: la alarma de {subject_name} fue atendida",
        "✅ ATENDIDA\nYu: {subject_name}\nAlarma: {situation} a las {timestamp}\nUn custodio ya respondió; no se requiere acción.",
    ),
}


def _names(text):
    return sorted({part[1:-1] for part in re.findall(r"\{[a-z_]+\}", text)})


def forward(apps, schema_editor):
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    for (kind, language), (subject_line, content) in DEFAULTS.items():
        if kind not in NEW_KINDS:
            continue
        shipped = {"subject_line": subject_line, "content": content, "variables": _names(subject_line + content)}
        template, created = MessageTemplate.objects.get_or_create(
            kind=kind,
            language=language,
            channel="",
            defaults={"name": f"{kind.title().replace('_', ' ')} ({language})", "live": True, **shipped},
        )
        if not created and (template.subject_line, template.content) == OLD_ACKNOWLEDGED.get(language):
            MessageTemplate.objects.filter(pk=template.pk).update(**shipped)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0010_inbound_reply_context_answer_and_wrong_number_flag"),
    ]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("TEST", "Test alarm"),
                    ("INJURED", "Subject injured"),
                    ("LOST", "Subject lost"),
                    ("CONTACT", "Subject needs contact"),
                    ("UPDATE", "New report on an open alarm"),
                    ("INACTIVE_SCAN", "Deactivated code scanned"),
                    ("ACKNOWLEDGED", "Alarm acknowledged (to the others told)"),
                    ("RESOLVED", "Alarm resolved (to everyone told)"),
                    ("RESOLVED_FINDER", "Alarm resolved (to the finder)"),
                    ("VERIFICATION_CODE", "Verification code"),
                ],
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="messagetemplate",
            name="kind",
            field=models.CharField(
                choices=[
                    ("TEST", "Test alarm"),
                    ("INJURED", "Subject injured"),
                    ("LOST", "Subject lost"),
                    ("CONTACT", "Subject needs contact"),
                    ("UPDATE", "New report on an open alarm"),
                    ("INACTIVE_SCAN", "Deactivated code scanned"),
                    ("ACKNOWLEDGED", "Alarm acknowledged (to the others told)"),
                    ("RESOLVED", "Alarm resolved (to everyone told)"),
                    ("RESOLVED_FINDER", "Alarm resolved (to the finder)"),
                    ("VERIFICATION_CODE", "Verification code"),
                ],
                max_length=32,
            ),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
