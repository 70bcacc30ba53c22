"""Telling staff that something needs a human: a mail to every staff user with an address."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q

from core.roles import STAFF

log = logging.getLogger(__name__)


def staff_alert(*, subject: str, body: str) -> int:
    """Mail staff (no personal data in the text: ids only). Never raises: an alert must not break delivery."""
    User = get_user_model()
    emails = list(
        User.objects.filter(Q(is_staff=True) | Q(is_superuser=True) | Q(groups__name=STAFF), is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    log.error("staff alert: %s", subject)
    if not emails:
        return 0
    try:
        return send_mail(subject, body, None, emails)
    except Exception as exc:
        log.error("staff alert mail failed (%s)", type(exc).__name__)
        return 0
