"""Telling staff that something needs a human: the on-call staff on their own channels, everyone else by mail."""

from __future__ import annotations

import logging

from django.contrib.auth.models import User
from django.core.mail import send_mail

from accounts.selectors import staff_on_call, staff_with_email
from messaging.services import message_create, message_send_first

log = logging.getLogger(__name__)


def staff_alert(*, subject: str, body: str) -> int:
    """Tell staff (no personal data in the text: ids only); returns how many staff members were told.

    Each on-call staff member (accounts.StaffProfile.on_call) is reached on their own channels, in the one
    channel choice (messaging's channel_next: their preferred family first, the next channel when one
    fails). Every other staff member with an address gets the mail, as all staff did before on-call lists.
    Never raises: an alert must not break delivery.
    """
    log.error("staff alert: %s", subject)
    paged: set[int] = set()
    for user in staff_on_call():
        try:
            if _staff_page(user=user, subject=subject, body=body):
                paged.add(user.pk)
        except Exception as exc:
            log.error("staff alert to user id=%s failed (%s)", user.pk, type(exc).__name__)
    emails = list(staff_with_email().exclude(pk__in=paged).values_list("email", flat=True))
    mailed = 0
    if emails:
        try:
            mailed = send_mail(subject, body, None, emails) and len(emails)
        except Exception as exc:
            log.error("staff alert mail failed (%s)", type(exc).__name__)
    return len(paged) + mailed


def _staff_page(*, user: User, subject: str, body: str) -> bool:
    """One on-call staff member, channel after channel until one takes the message."""
    profile = user.staff_profile
    phone = str(profile.phone_number) if profile.phone_number else ""
    reached = message_send_first(
        compose=lambda channel, to: message_create(
            to=to,
            channel=channel,
            content=f"{subject}\n{body}",
            subject_line=subject,
            owner=user,
            recipient_name=user.get_full_name() or user.get_username(),
        ),
        preferred=profile.preferred_channel,
        phone=phone,
        email=user.email,
        label=f"staff alert to user id={user.pk}",
    )
    return reached.message is not None
