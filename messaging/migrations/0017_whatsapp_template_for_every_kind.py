"""Every kind with a shipped WhatsApp template gets it where the row has none. 0004 gave it to the four
situation kinds only, so a follow-up (UPDATE) or a deactivated-code notice outside WhatsApp's 24-hour window had
no approved template to go as and fell to the next channel. Rows with a template name (an editor's) are left."""

from django.db import migrations

from messaging.defaults import WHATSAPP_LANGUAGE_CODES, WHATSAPP_TEMPLATES


def forward(apps, schema_editor):
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    for template in MessageTemplate.objects.filter(kind__in=list(WHATSAPP_TEMPLATES), whatsapp_template_name=""):
        name, parameters = WHATSAPP_TEMPLATES[template.kind]
        template.whatsapp_template_name = name
        template.whatsapp_language_code = WHATSAPP_LANGUAGE_CODES.get(template.language, template.language)
        template.whatsapp_parameters = ",".join(parameters)
        template.save(update_fields=["whatsapp_template_name", "whatsapp_language_code", "whatsapp_parameters"])


class Migration(migrations.Migration):
    dependencies = [("messaging", "0016_window_and_template_quality")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
