"""How a person prefers to be reached: the vocabulary registry stores and messaging's channels answer to.

A custodian's or contact's `preferred_channel` names one of these families; each messaging adapter reaches
one of them (Meta and Twilio WhatsApp both reach WHATSAPP). Here, below both apps, so neither imports the
other to agree on the names.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ContactChannel(models.TextChoices):
    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
