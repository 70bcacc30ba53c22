"""Staff annotate an alarm's record; they never edit it (the record is append-only in both consoles)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError

from core.roles import user_is_staff

from ..models import Alarm, AlarmNote

if TYPE_CHECKING:
    from django.contrib.auth.models import User

NOTE_MAX = 5000


def alarm_note_add(*, alarm: Alarm, author: User, text: str) -> AlarmNote:
    """One note, by staff, kept for good (no service edits or deletes notes)."""
    if not user_is_staff(author):
        raise PermissionDenied("Only staff annotate alarms.")
    text = (text or "").strip()
    if not text:
        raise ValidationError("A note needs some text.")
    if len(text) > NOTE_MAX:
        raise ValidationError(f"A note holds at most {NOTE_MAX} characters.")
    name = author.get_full_name() or author.get_username()
    return AlarmNote.objects.create(alarm=alarm, author=author, author_name=name, text=text)
