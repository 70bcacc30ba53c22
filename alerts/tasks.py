"""Celery wrappers over alerts services. Ids in, no results out."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from messaging.channels import ChannelError

from . import services


@shared_task(name="alerts.deliver_attempt", bind=True, acks_late=True, max_retries=services.MAX_RETRIES)
def deliver_attempt(self, attempt_id: int) -> None:
    try:
        services.attempt_deliver(attempt_id=attempt_id)
    except ChannelError as exc:
        # Transient: the attempt is back at PENDING; back off exponentially from the base delay.
        countdown = settings.KERYU_RETRY_BASE_DELAY * 2**self.request.retries
        raise self.retry(exc=exc, countdown=countdown) from None
