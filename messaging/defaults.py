"""The shipped texts: the spec's four situation messages and the verification code, in Spanish and English.

Editors override them with MessageTemplate snippets; these are used to seed those and as the last resort
when no active template exists, so a missing template never stops an alarm from going out.
"""

DEFAULTS = {
    ("TEST", "en"): (
        "Keryu test alarm",
        "🔔 TEST ALARM (no action needed)\nYu: {subject_name}\nLocation: {location}\nTime: {timestamp}",
    ),
    ("TEST", "es"): (
        "Alarma de prueba Keryu",
        "🔔 ALARMA DE PRUEBA (no requiere acción)\nYu: {subject_name}\nUbicación: {location}\nHora: {timestamp}",
    ),
    ("INJURED", "en"): (
        "Keryu: {subject_name} is injured",
        "⚠️ INJURY REPORTED\nYu: {subject_name}\nLocation: {location}\nDetails: {description}\nTime: {timestamp}",
    ),
    ("INJURED", "es"): (
        "Keryu: {subject_name} está herido",
        "⚠️ LESIÓN REPORTADA\nYu: {subject_name}\nUbicación: {location}\nDetalles: {description}\nHora: {timestamp}",
    ),
    ("LOST", "en"): (
        "Keryu: {subject_name} was found lost",
        "🚨 YU MISSING\nYu: {subject_name}\nLast Seen: {location}\nDetails: {description}\nTime: {timestamp}",
    ),
    ("LOST", "es"): (
        "Keryu: {subject_name} fue encontrado extraviado",
        "🚨 YU EXTRAVIADO\nYu: {subject_name}\nVisto por última vez: {location}\nDetalles: {description}\nHora: {timestamp}",
    ),
    ("CONTACT", "en"): (
        "Keryu: contact needed for {subject_name}",
        "📞 CONTACT NEEDED\nYu: {subject_name}\nLocation: {location}\nMessage: {description}\nTime: {timestamp}",
    ),
    ("CONTACT", "es"): (
        "Keryu: se necesita contacto para {subject_name}",
        "📞 SE NECESITA CONTACTO\nYu: {subject_name}\nUbicación: {location}\nMensaje: {description}\nHora: {timestamp}",
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
