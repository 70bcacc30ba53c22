"""Labels that other packages show in /ops/ with gettext but ship no Spanish for (django-axes, django-auditlog).
Listed here so `makemessages` keeps them in our catalogue, where Django finds them first (LOCALE_PATHS)."""

from django.utils.translation import gettext_noop

THIRD_PARTY_LABELS = [
    gettext_noop("Audit log"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
]
