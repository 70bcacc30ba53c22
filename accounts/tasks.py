from celery import shared_task

from .services import registrations_purge_abandoned


@shared_task(name="accounts.registrations_purge_abandoned", bind=True)
def registrations_purge_abandoned_task(self) -> int:
    return registrations_purge_abandoned()
