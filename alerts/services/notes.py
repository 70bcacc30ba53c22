"""Notes on an alarm's record: staff annotate it (they never edit it; the record is append-only in both
consoles), and replies to alarm messages that are not an acknowledgement are noted in the replier's name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.roles import user_is_staff

from ..models import Alarm, AlarmNote, NotificationAttempt, RecipientKind

if TYPE_CHECKING:
    from django.contrib.auth.models import User

NOTE_MAX = 5000


def alarm_note_add(*, alarm: Alarm, author: User, text: str) -> AlarmNote:
    """One note, by staff, kept for good (no service edits or deletes notes)."""
    if not user_is_staff(author):
        raise PermissionDenied("Only staff annotate alarms.")
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("A note needs some text."))
    if len(text) > NOTE_MAX:
        raise ValidationError(_("A note holds at most %(max)d characters.") % {"max": NOTE_MAX})
    name = author.get_full_name() or author.get_username()
    return AlarmNote.objects.create(alarm=alarm, author=author, author_name=name, text=text)


def alarm_note_from_reply(*, attempt: NotificationAttempt, text: str) -> AlarmNote:
    """What a recipient replied, on the timeline of the alarm `attempt` told them about, under their name and
    role (no user: recipients reply from their phones). Cut to NOTE_MAX rather than refused: it already happened."""
    # A stored snapshot, like the rest of the record: written in one language, whatever is active at the time.
    with translation.override("en"):
        role = RecipientKind(attempt.recipient_kind).label.lower()
        name = f"{attempt.recipient_name or RecipientKind(attempt.recipient_kind).label} ({role}, by reply)"
    return AlarmNote.objects.create(
        alarm_id=attempt.alarm_id, author=None, author_name=name[:150], text=(text.strip() or "-")[:NOTE_MAX]
    )


def alarm_emergency_called(*, alarm: Alarm, user: User, note: str = "") -> bool:
    """Staff record that they called emergency services for this alarm: once (the first press wins), with
    who did it on the alarm's timeline; an optional note says what was said (kept like any note). Staff only.
    Returns True when this call recorded it."""
    if not user_is_staff(user):
        raise PermissionDenied("Only Keryu staff record calling emergency services.")
    name = user.get_full_name() or user.get_username()
    with transaction.atomic():
        recorded = Alarm.objects.filter(pk=alarm.pk, emergency_called_at__isnull=True).update(
            emergency_called_at=timezone.now(), emergency_called_by=name[:150]
        )
        if (note or "").strip():
            alarm_note_add(alarm=alarm, author=user, text=f"Emergency services: {note.strip()}")
    return bool(recorded)
