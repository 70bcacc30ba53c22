"""The shipped texts: the spec's four situation messages, the notices about an alarm (acknowledged, resolved),
the monthly reachability drill and the verification code, in Spanish and English.

Editors override them with MessageTemplate snippets; these are used to seed those and as the last resort
when no active template exists, so a missing template never stops an alarm from going out.
"""

# The variables each kind of template may use; anything else is refused when an editor saves.
ALARM_VARIABLES = frozenset(
    {"subject_name", "situation", "location", "description", "timestamp", "maps_url", "ack_url", "finder"}
)
VERIFICATION_VARIABLES = frozenset({"code", "minutes"})
# Notices about an alarm already sent: who acknowledged it (to the others told), that it is closed (to everyone
# told, and to the finder). `handler` is who is handling or closed it, by first name and role, in the
# recipient's language ("Ana (a family member)"); never in the finder's text.
NOTICE_KINDS = frozenset({"ACKNOWLEDGED", "RESOLVED", "RESOLVED_FINDER"})
NOTICE_VARIABLES = ALARM_VARIABLES | {"handler"}

# The monthly drill (to each person an alarm would reach) and the custodian's notice when it flags someone.
DRILL_VARIABLES = frozenset({"recipient_name", "subject_name", "role", "site_url"})
DRILL_FLAGGED_VARIABLES = frozenset({"recipients", "checks_url"})
# The masked relay between finder and family (alerts.services.relay): `sender` is who wrote ("Ana (a family
# member)" to the finder, never a number), `text` what they wrote, `contact` the number they chose to share ("").
RELAY_VARIABLES = frozenset({"sender", "text", "contact", "subject_name", "ack_url"})
KIND_VARIABLES: dict[str, frozenset[str]] = {
    "RELAY_TO_FINDER": RELAY_VARIABLES,
    "RELAY_TO_FAMILY": RELAY_VARIABLES,
    "VERIFICATION_CODE": VERIFICATION_VARIABLES,
    "DRILL": DRILL_VARIABLES,
    "DRILL_FLAGGED": DRILL_FLAGGED_VARIABLES,
    **{kind: NOTICE_VARIABLES for kind in NOTICE_KINDS},
}

# Sample values for previews and the "send test message" action.
SAMPLE_CONTEXT: dict[str, str] = {
    "subject_name": "Sofía",
    "situation": "Lost",
    "location": "Parque México, Condesa",
    "description": "Near the fountain, wearing a red jacket",
    "timestamp": "2026-11-21 18:30",
    "maps_url": "https://maps.google.com/?q=19.4122,-99.1690",
    "ack_url": "https://keryu.example/ack/sample/",
    "finder": "Ana +52 55 1234 5678",
    "handler": "Rosa (an emergency contact)",
    "code": "482913",
    "minutes": "10",
    "recipient_name": "Abuela Rosa",
    "role": "an emergency contact",
    "site_url": "https://keryu.example",
    "recipients": "Abuela Rosa (WhatsApp)",
    "checks_url": "https://keryu.example/admin/snippets/alerts/reachabilitycheck/",
    "sender": "Rosa (a family member)",
    "text": "Thank you! I am on my way, please stay with her.",
    "contact": "",
}

# The spec's WhatsApp template: `qr_template_on_m` with two body parameters, subject name and time.
DEFAULT_WHATSAPP_TEMPLATE = "qr_template_on_m"
DEFAULT_WHATSAPP_PARAMETERS = ["subject_name", "timestamp"]
WHATSAPP_LANGUAGE_CODES = {"es": "es_MX", "en": "en_US"}
# What the kinds Keryu starts a conversation with send on WhatsApp, where only an approved template reaches
# someone who has not written in 24 hours: (Meta template name, the variables filling {{1}}, {{2}}, ...).
# The drill and its notice are not alarms and must not borrow the alarm's template; staff submit these two to
# Meta (docs/operations.md) and, until Meta approves them, those messages go on the next channel.
WHATSAPP_TEMPLATES: dict[str, tuple[str, list[str]]] = {
    **{
        kind: (DEFAULT_WHATSAPP_TEMPLATE, DEFAULT_WHATSAPP_PARAMETERS)
        for kind in ("TEST", "INJURED", "LOST", "CONTACT", "UPDATE", "INACTIVE_SCAN")
    },
    "DRILL": ("keryu_monthly_check", ["recipient_name", "subject_name", "role"]),
    "DRILL_FLAGGED": ("keryu_check_flagged", ["recipients"]),
    "VERIFICATION_CODE": ("keryu_verification_code", ["code"]),
}
# Kinds sent as a Meta AUTHENTICATION template (a one-time code, copy-code button, no links). Meta fixes their
# text ("<code> is your verification code.", a security note, the expiry), so the shipped definition is always
# used, whatever an editor's MessageTemplate says; and a code never goes on WhatsApp as free-form text.
WHATSAPP_AUTHENTICATION_KINDS = frozenset({"VERIFICATION_CODE"})


def allowed_variables(kind: str) -> frozenset[str]:
    return KIND_VARIABLES.get(kind, ALARM_VARIABLES)


# No "Yu:" label: the person is named as "Persona"/"Person"; the Spanish texts never inflect for the person's
# gender (no "herido"/"encontrado"): neutral phrasing ("reportan una lesión de…", "Quien dio el aviso").
DEFAULTS = {
    ("TEST", "en"): (
        "Keryu test alarm",
        "🔔 TEST ALARM (no action needed)\nPerson: {subject_name}\nLocation: {location}\nTime: {timestamp}\nAcknowledge: {ack_url}",
    ),
    ("TEST", "es"): (
        "Alarma de prueba Keryu",
        "🔔 ALARMA DE PRUEBA (no requiere acción)\nPersona: {subject_name}\nUbicación: {location}\nHora: {timestamp}\nConfirmar: {ack_url}",
    ),
    ("INJURED", "en"): (
        "Keryu: {subject_name} is injured",
        "⚠️ INJURY REPORTED\nPerson: {subject_name}\nLocation: {location}\nDetails: {description}\nFinder: {finder}\nTime: {timestamp}\nAcknowledge: {ack_url}",
    ),
    ("INJURED", "es"): (
        "Keryu: reportan una lesión de {subject_name}",
        "⚠️ LESIÓN REPORTADA\nPersona: {subject_name}\nUbicación: {location}\nDetalles: {description}\nQuien dio el aviso: {finder}\nHora: {timestamp}\nConfirmar: {ack_url}",
    ),
    ("LOST", "en"): (
        "Keryu: {subject_name} was found lost",
        "🚨 PERSON FOUND LOST\nPerson: {subject_name}\nLast Seen: {location}\nDetails: {description}\nFinder: {finder}\nTime: {timestamp}\nAcknowledge: {ack_url}",
    ),
    ("LOST", "es"): (
        "Keryu: {subject_name} necesita ayuda para volver a casa",
        "🚨 PERSONA EXTRAVIADA\nPersona: {subject_name}\nVisto por última vez: {location}\nDetalles: {description}\nQuien dio el aviso: {finder}\nHora: {timestamp}\nConfirmar: {ack_url}",
    ),
    ("CONTACT", "en"): (
        "Keryu: contact needed for {subject_name}",
        "📞 CONTACT NEEDED\nPerson: {subject_name}\nLocation: {location}\nMessage: {description}\nFinder: {finder}\nTime: {timestamp}\nAcknowledge: {ack_url}",
    ),
    ("CONTACT", "es"): (
        "Keryu: se necesita contacto para {subject_name}",
        "📞 SE NECESITA CONTACTO\nPersona: {subject_name}\nUbicación: {location}\nMensaje: {description}\nQuien dio el aviso: {finder}\nHora: {timestamp}\nConfirmar: {ack_url}",
    ),
    ("UPDATE", "en"): (
        "Keryu: new report about {subject_name}",
        "📍 NEW REPORT\nPerson: {subject_name}\nSituation: {situation}\nLocation: {location}\nDetails: {description}\nFinder: {finder}\nTime: {timestamp}\nAcknowledge: {ack_url}",
    ),
    ("UPDATE", "es"): (
        "Keryu: nuevo reporte sobre {subject_name}",
        "📍 NUEVO REPORTE\nPersona: {subject_name}\nSituación: {situation}\nUbicación: {location}\nDetalles: {description}\nQuien dio el aviso: {finder}\nHora: {timestamp}\nConfirmar: {ack_url}",
    ),
    ("INACTIVE_SCAN", "en"): (
        "Keryu: a deactivated badge of {subject_name} was scanned",
        "ℹ️ DEACTIVATED BADGE SCANNED\nPerson: {subject_name}\nTime: {timestamp}\nNo alarm was raised: this code is deactivated. If {subject_name} still wears this badge, activate its code in Keryu; if the badge was lost, keep it deactivated.",
    ),
    ("INACTIVE_SCAN", "es"): (
        "Keryu: se escaneó una credencial desactivada de {subject_name}",
        "ℹ️ CREDENCIAL DESACTIVADA ESCANEADA\nPersona: {subject_name}\nHora: {timestamp}\nNo se levantó una alarma: este código está desactivado. Si {subject_name} aún lleva esta credencial, activa su código en Keryu; si la credencial se perdió, déjala desactivada.",
    ),
    ("ACKNOWLEDGED", "en"): (
        "Keryu: {handler} is handling the alarm for {subject_name}",
        "✅ BEING HANDLED\nPerson: {subject_name}\nAlarm raised: {timestamp}\n{handler} has acknowledged it and is handling it. No action needed unless they ask you.",
    ),
    ("ACKNOWLEDGED", "es"): (
        "Keryu: {handler} atiende la alarma de {subject_name}",
        "✅ YA SE ESTÁ ATENDIENDO\nPersona: {subject_name}\nAlarma levantada: {timestamp}\n{handler} la confirmó y se está encargando. No necesitas hacer nada salvo que te lo pida.",
    ),
    ("RESOLVED", "en"): (
        "Keryu: the alarm for {subject_name} is closed",
        "☑️ ALARM CLOSED\nPerson: {subject_name}\nAlarm raised: {timestamp}\nClosed by {handler}. No action needed.",
    ),
    ("RESOLVED", "es"): (
        "Keryu: la alarma de {subject_name} se cerró",
        "☑️ ALARMA CERRADA\nPersona: {subject_name}\nAlarma levantada: {timestamp}\nLa cerró {handler}. No se requiere acción.",
    ),
    ("RESOLVED_FINDER", "en"): (
        "Keryu: the alarm you reported is closed",
        "Keryu: the alarm you reported is closed. Thank you for helping.",
    ),
    ("RESOLVED_FINDER", "es"): (
        "Keryu: la alarma que reportaste se cerró",
        "Keryu: la alarma que reportaste se cerró. Gracias por ayudar.",
    ),
    ("DRILL", "en"): (
        "Keryu: monthly check for {subject_name} (no emergency)",
        "Hello {recipient_name}: this is Keryu's monthly check for {subject_name}. Nothing is wrong, there is no emergency.\nKeryu alerts {subject_name}'s family when someone scans their badge, and you are listed as {role}.\nReply OK to confirm this reached you.\nMore about Keryu: {site_url}",
    ),
    ("DRILL", "es"): (
        "Keryu: prueba mensual para {subject_name} (no hay emergencia)",
        "Hola {recipient_name}: esta es la prueba mensual de Keryu para {subject_name}. No pasa nada, no hay ninguna emergencia.\nKeryu avisa a la familia de {subject_name} cuando alguien escanea su credencial, y estás registrado como {role}.\nResponde OK para confirmar que te llegó.\nMás información: {site_url}",
    ),
    ("DRILL_FLAGGED", "en"): (
        "Keryu: this month's check could not reach someone",
        "Keryu's monthly check could not reach {recipients}. In a real alarm Keryu could not reach them either.\nPlease check their phone or email, or ask them to reply OK to Keryu's message: {checks_url}",
    ),
    ("DRILL_FLAGGED", "es"): (
        "Keryu: la prueba mensual no pudo llegar a alguien",
        "La prueba mensual de Keryu no pudo llegar a {recipients}. En una alarma real Keryu tampoco podría avisarles.\nRevisa su teléfono o correo, o pídeles que respondan OK al mensaje de Keryu: {checks_url}",
    ),
    ("RELAY_TO_FINDER", "en"): (
        "Keryu: a message from {sender}",
        "Keryu, message from {sender}:\n{text}\n{contact}Reply to this text to answer them (your number stays private).",
    ),
    ("RELAY_TO_FINDER", "es"): (
        "Keryu: un mensaje de {sender}",
        "Keryu, mensaje de {sender}:\n{text}\n{contact}Responde a este mensaje para contestarle (tu número no se comparte).",
    ),
    ("RELAY_TO_FAMILY", "en"): (
        "Keryu: the person who found {subject_name} wrote",
        "Keryu, message from the person who found {subject_name}:\n{text}\n{contact}Reply to this text to answer, or open {ack_url}",
    ),
    ("RELAY_TO_FAMILY", "es"): (
        "Keryu: escribió quien encontró a {subject_name}",
        "Keryu, mensaje de quien encontró a {subject_name}:\n{text}\n{contact}Responde a este mensaje para contestar, o abre {ack_url}",
    ),
    ("VERIFICATION_CODE", "en"): (
        "Your Keryu code",
        "Your Keryu verification code is {code}. It expires in {minutes} minutes.",
    ),
    ("VERIFICATION_CODE", "es"): (
        "Tu código Keryu",
        "Tu código de verificación Keryu es {code}. Vence en {minutes} minutos.",
    ),
}
