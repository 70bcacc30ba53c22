"""Remove a subject's photo file when the subject row goes, whichever door deleted it (admin, bulk, cascade)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Subject


@receiver(post_delete, sender=Subject, dispatch_uid="registry_subject_photo_cleanup")
def subject_photo_cleanup(sender, instance: Subject, **kwargs) -> None:
    name, storage = instance.photo.name, instance.photo.storage
    if name:
        # After commit: a rolled-back delete must not lose the photo.
        transaction.on_commit(lambda: storage.delete(name))
