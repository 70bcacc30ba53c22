from celery import Task, shared_task

from .services import phone_code_fallback, registrations_purge_abandoned


@shared_task(name="accounts.registrations_purge_abandoned", bind=True)
def registrations_purge_abandoned_task(self) -> int:
    return registrations_purge_abandoned()


@shared_task(name="accounts.verification_fallback", bind=True, acks_late=True, ignore_result=True)
def verification_fallback_task(self: Task[[int], None], send_id: int) -> None:
    """KERYU_VERIFICATION_WHATSAPP_SECONDS after a WhatsApp code: by SMS unless it was delivered (once per send)."""
    phone_code_fallback(send_id=send_id)
