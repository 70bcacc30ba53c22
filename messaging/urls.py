"""Provider webhooks, mounted under /webhooks/."""

from django.urls import path

from . import webhooks

urlpatterns = [
    path("whatsapp/", webhooks.whatsapp_webhook, name="messaging-webhook-whatsapp"),
    path("twilio/", webhooks.twilio_webhook, name="messaging-webhook-twilio"),
]
