"""Public alerts URLs (included at /alerts/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("ack/<str:token>/", views.acknowledge, name="alerts_acknowledge"),
    # The doctor's link only (alerts.views.responder_photo): the subject's photo while the alarm is open.
    path("ack/<str:token>/photo/", views.responder_photo, name="alerts_responder_photo"),
]
