"""The shipped message texts lose the unexplained "Yu:" label and their Spanish no longer inflects for the
person's gender (issue 18). Rows still holding the old shipped text are updated; a text an editor changed is left
alone (its editor decides)."""

from django.db import migrations

# (kind|language): ((old subject, old content), (new subject, new content))
CHANGED = {
    "ACKNOWLEDGED|en": (
        (
            "Keryu: {handler} is handling the alarm for {subject_name}",
            "✅ BEING HANDLED\n"
            "Yu: {subject_name}\n"
            "Alarm raised: {timestamp}\n"
            "{handler} has acknowledged it and is handling it. No action needed unless they ask "
            "you.",
        ),
        (
            "Keryu: {handler} is handling the alarm for {subject_name}",
            "✅ BEING HANDLED\n"
            "Person: {subject_name}\n"
            "Alarm raised: {timestamp}\n"
            "{handler} has acknowledged it and is handling it. No action needed unless they ask "
            "you.",
        ),
    ),
    "ACKNOWLEDGED|es": (
        (
            "Keryu: {handler} atiende la alarma de {subject_name}",
            "✅ YA SE ESTÁ ATENDIENDO\n"
            "Yu: {subject_name}\n"
            "Alarma levantada: {timestamp}\n"
            "{handler} la confirmó y se está encargando. No necesitas hacer nada salvo que te lo "
            "pida.",
        ),
        (
            "Keryu: {handler} atiende la alarma de {subject_name}",
            "✅ YA SE ESTÁ ATENDIENDO\n"
            "Persona: {subject_name}\n"
            "Alarma levantada: {timestamp}\n"
            "{handler} la confirmó y se está encargando. No necesitas hacer nada salvo que te lo "
            "pida.",
        ),
    ),
    "CONTACT|en": (
        (
            "Keryu: contact needed for {subject_name}",
            "📞 CONTACT NEEDED\n"
            "Yu: {subject_name}\n"
            "Location: {location}\n"
            "Message: {description}\n"
            "Finder: {finder}\n"
            "Time: {timestamp}\n"
            "Acknowledge: {ack_url}",
        ),
        (
            "Keryu: contact needed for {subject_name}",
            "📞 CONTACT NEEDED\n"
            "Person: {subject_name}\n"
            "Location: {location}\n"
            "Message: {description}\n"
            "Finder: {finder}\n"
            "Time: {timestamp}\n"
            "Acknowledge: {ack_url}",
        ),
    ),
    "CONTACT|es": (
        (
            "Keryu: se necesita contacto para {subject_name}",
            "📞 SE NECESITA CONTACTO\n"
            "Yu: {subject_name}\n"
            "Ubicación: {location}\n"
            "Mensaje: {description}\n"
            "Quien lo encontró: {finder}\n"
            "Hora: {timestamp}\n"
            "Confirmar: {ack_url}",
        ),
        (
            "Keryu: se necesita contacto para {subject_name}",
            "📞 SE NECESITA CONTACTO\n"
            "Persona: {subject_name}\n"
            "Ubicación: {location}\n"
            "Mensaje: {description}\n"
            "Quien dio el aviso: {finder}\n"
            "Hora: {timestamp}\n"
            "Confirmar: {ack_url}",
        ),
    ),
    "INACTIVE_SCAN|en": (
        (
            "Keryu: a deactivated badge of {subject_name} was scanned",
            "ℹ️ DEACTIVATED BADGE SCANNED\n"
            "Yu: {subject_name}\n"
            "Time: {timestamp}\n"
            "No alarm was raised: this code is deactivated. If {subject_name} still wears this "
            "badge, activate its code in Keryu; if the badge was lost, keep it deactivated.",
        ),
        (
            "Keryu: a deactivated badge of {subject_name} was scanned",
            "ℹ️ DEACTIVATED BADGE SCANNED\n"
            "Person: {subject_name}\n"
            "Time: {timestamp}\n"
            "No alarm was raised: this code is deactivated. If {subject_name} still wears this "
            "badge, activate its code in Keryu; if the badge was lost, keep it deactivated.",
        ),
    ),
    "INACTIVE_SCAN|es": (
        (
            "Keryu: se escaneó una credencial desactivada de {subject_name}",
            "ℹ️ CREDENCIAL DESACTIVADA ESCANEADA\n"
            "Yu: {subject_name}\n"
            "Hora: {timestamp}\n"
            "No se levantó una alarma: este código está desactivado. Si {subject_name} aún lleva "
            "esta credencial, activa su código en Keryu; si la credencial se perdió, déjala "
            "desactivada.",
        ),
        (
            "Keryu: se escaneó una credencial desactivada de {subject_name}",
            "ℹ️ CREDENCIAL DESACTIVADA ESCANEADA\n"
            "Persona: {subject_name}\n"
            "Hora: {timestamp}\n"
            "No se levantó una alarma: este código está desactivado. Si {subject_name} aún lleva "
            "esta credencial, activa su código en Keryu; si la credencial se perdió, déjala "
            "desactivada.",
        ),
    ),
    "INJURED|en": (
        (
            "Keryu: {subject_name} is injured",
            "⚠️ INJURY REPORTED\n"
            "Yu: {subject_name}\n"
            "Location: {location}\n"
            "Details: {description}\n"
            "Finder: {finder}\n"
            "Time: {timestamp}\n"
            "Acknowledge: {ack_url}",
        ),
        (
            "Keryu: {subject_name} is injured",
            "⚠️ INJURY REPORTED\n"
            "Person: {subject_name}\n"
            "Location: {location}\n"
            "Details: {description}\n"
            "Finder: {finder}\n"
            "Time: {timestamp}\n"
            "Acknowledge: {ack_url}",
        ),
    ),
    "INJURED|es": (
        (
            "Keryu: {subject_name} está herido",
            "⚠️ LESIÓN REPORTADA\n"
            "Yu: {subject_name}\n"
            "Ubicación: {location}\n"
            "Detalles: {description}\n"
            "Quien lo encontró: {finder}\n"
            "Hora: {timestamp}\n"
            "Confirmar: {ack_url}",
        ),
        (
            "Keryu: reportan una lesión de {subject_name}",
            "⚠️ LESIÓN REPORTADA\n"
            "Persona: {subject_name}\n"
            "Ubicación: {location}\n"
            "Detalles: {description}\n"
            "Quien dio el aviso: {finder}\n"
            "Hora: {timestamp}\n"
            "Confirmar: {ack_url}",
        ),
    ),
    "LOST|en": (
        (
            "Keryu: {subject_name} was found lost",
            "🚨 YU MISSING\n"
            "Yu: {subject_name}\n"
            "Last Seen: {location}\n"
            "Details: {description}\n"
            "Finder: {finder}\n"
            "Time: {timestamp}\n"
            "Acknowledge: {ack_url}",
        ),
        (
            "Keryu: {subject_name} was found lost",
            "🚨 PERSON FOUND LOST\n"
            "Person: {subject_name}\n"
            "Last Seen: {location}\n"
            "Details: {description}\n"
            "Finder: {finder}\n"
            "Time: {timestamp}\n"
            "Acknowledge: {ack_url}",
        ),
    ),
    "LOST|es": (
        (
            "Keryu: {subject_name} fue encontrado extraviado",
            "🚨 YU EXTRAVIADO\n"
            "Yu: {subject_name}\n"
            "Visto por última vez: {location}\n"
            "Detalles: {description}\n"
            "Quien lo encontró: {finder}\n"
            "Hora: {timestamp}\n"
            "Confirmar: {ack_url}",
        ),
        (
            "Keryu: {subject_name} necesita ayuda para volver a casa",
            "🚨 PERSONA EXTRAVIADA\n"
            "Persona: {subject_name}\n"
            "Visto por última vez: {location}\n"
            "Detalles: {description}\n"
            "Quien dio el aviso: {finder}\n"
            "Hora: {timestamp}\n"
            "Confirmar: {ack_url}",
        ),
    ),
    "RESOLVED|en": (
        (
            "Keryu: the alarm for {subject_name} is closed",
            "☑️ ALARM CLOSED\nYu: {subject_name}\nAlarm raised: {timestamp}\nClosed by {handler}. No action needed.",
        ),
        (
            "Keryu: the alarm for {subject_name} is closed",
            "☑️ ALARM CLOSED\nPerson: {subject_name}\nAlarm raised: {timestamp}\nClosed by {handler}. No action needed.",
        ),
    ),
    "RESOLVED|es": (
        (
            "Keryu: la alarma de {subject_name} se cerró",
            "☑️ ALARMA CERRADA\n"
            "Yu: {subject_name}\n"
            "Alarma levantada: {timestamp}\n"
            "La cerró {handler}. No se requiere acción.",
        ),
        (
            "Keryu: la alarma de {subject_name} se cerró",
            "☑️ ALARMA CERRADA\n"
            "Persona: {subject_name}\n"
            "Alarma levantada: {timestamp}\n"
            "La cerró {handler}. No se requiere acción.",
        ),
    ),
    "TEST|en": (
        (
            "Keryu test alarm",
            "🔔 TEST ALARM (no action needed)\n"
            "Yu: {subject_name}\n"
            "Location: {location}\n"
            "Time: {timestamp}\n"
            "Acknowledge: {ack_url}",
        ),
        (
            "Keryu test alarm",
            "🔔 TEST ALARM (no action needed)\n"
            "Person: {subject_name}\n"
            "Location: {location}\n"
            "Time: {timestamp}\n"
            "Acknowledge: {ack_url}",
        ),
    ),
    "TEST|es": (
        (
            "Alarma de prueba Keryu",
            "🔔 ALARMA DE PRUEBA (no requiere acción)\n"
            "Yu: {subject_name}\n"
            "Ubicación: {location}\n"
            "Hora: {timestamp}\n"
            "Confirmar: {ack_url}",
        ),
        (
            "Alarma de prueba Keryu",
            "🔔 ALARMA DE PRUEBA (no requiere acción)\n"
            "Persona: {subject_name}\n"
            "Ubicación: {location}\n"
            "Hora: {timestamp}\n"
            "Confirmar: {ack_url}",
        ),
    ),
    "UPDATE|en": (
        (
            "Keryu: new report about {subject_name}",
            "📍 NEW REPORT\n"
            "Yu: {subject_name}\n"
            "Situation: {situation}\n"
            "Location: {location}\n"
            "Details: {description}\n"
            "Finder: {finder}\n"
            "Time: {timestamp}\n"
            "Acknowledge: {ack_url}",
        ),
        (
            "Keryu: new report about {subject_name}",
            "📍 NEW REPORT\n"
            "Person: {subject_name}\n"
            "Situation: {situation}\n"
            "Location: {location}\n"
            "Details: {description}\n"
            "Finder: {finder}\n"
            "Time: {timestamp}\n"
            "Acknowledge: {ack_url}",
        ),
    ),
    "UPDATE|es": (
        (
            "Keryu: nuevo reporte sobre {subject_name}",
            "📍 NUEVO REPORTE\n"
            "Yu: {subject_name}\n"
            "Situación: {situation}\n"
            "Ubicación: {location}\n"
            "Detalles: {description}\n"
            "Quien lo encontró: {finder}\n"
            "Hora: {timestamp}\n"
            "Confirmar: {ack_url}",
        ),
        (
            "Keryu: nuevo reporte sobre {subject_name}",
            "📍 NUEVO REPORTE\n"
            "Persona: {subject_name}\n"
            "Situación: {situation}\n"
            "Ubicación: {location}\n"
            "Detalles: {description}\n"
            "Quien dio el aviso: {finder}\n"
            "Hora: {timestamp}\n"
            "Confirmar: {ack_url}",
        ),
    ),
}


def forwards(apps, schema_editor, direction=(0, 1)):
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    before, after = direction
    for key, texts in CHANGED.items():
        kind, language = key.split("|")
        (old_subject, old_content), (new_subject, new_content) = texts[before], texts[after]
        MessageTemplate.objects.filter(
            kind=kind, language=language, channel="", subject_line=old_subject, content=old_content
        ).update(subject_line=new_subject, content=new_content)


def backwards(apps, schema_editor):
    forwards(apps, schema_editor, direction=(1, 0))


class Migration(migrations.Migration):
    dependencies = [("messaging", "0017_whatsapp_template_for_every_kind")]

    operations = [migrations.RunPython(forwards, backwards)]
