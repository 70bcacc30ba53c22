"""Celery wrappers over messaging services. Ids in, no results out."""

from __future__ import annotations

from celery import Task, shared_task

from .channels import ChannelError
from .services import inbound_answer_send

ANSWER_RETRY_SECONDS = 10


@shared_task(name="messaging.send_inbound_answer", bind=True, max_retries=3)
def send_inbound_answer(self: Task[[int], None], inbound_id: int) -> None:
    try:
        inbound_answer_send(inbound_id=inbound_id)
    except ChannelError as exc:
        raise self.retry(exc=exc, countdown=ANSWER_RETRY_SECONDS * (self.request.retries + 1)) from None
