"""Remove a subject's photo file when the subject row goes, whichever door deleted it (admin, bulk, cascade);
keep the first custodian's custodianship in step with Subject.custodian."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from .models import CustodianRole, Custodianship, Subject

# Sent (with `subject_id`) by the services that change what a finder's scan page shows through `update()`, which
# sends no post_save: a code switched on or off, a photo set or cleared, a subject archived. The public site keeps
# rendered scan pages (home.scan_cache) and drops them on this, as on any save or delete of a subject or code.
subject_public_changed = Signal()


@receiver(post_delete, sender=Subject, dispatch_uid="registry_subject_photo_cleanup")
def subject_photo_cleanup(sender, instance: Subject, **kwargs) -> None:
    name, storage = instance.photo.name, instance.photo.storage
    if name:
        # After commit: a rolled-back delete must not lose the photo.
        transaction.on_commit(lambda: storage.delete(name))


@receiver(post_save, sender=Subject, dispatch_uid="registry_subject_first_custodian")
def subject_first_custodian(sender, instance: Subject, raw: bool = False, **kwargs) -> None:
    """`Subject.custodian` is the first custodian: whichever door saved the subject (console, API, import,
    fixtures), its custodianship exists with the OWNER role, and an earlier first custodian replaced by staff
    loses theirs (a subject filed under the wrong family leaves that family). Co-custodians stay."""
    if raw:
        return
    Custodianship.objects.filter(subject=instance, role=CustodianRole.OWNER).exclude(
        custodian_id=instance.custodian_id
    ).delete()
    Custodianship.objects.update_or_create(
        subject=instance, custodian_id=instance.custodian_id, defaults={"role": CustodianRole.OWNER}
    )
