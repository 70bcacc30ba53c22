"""Public alerts URLs (included at /alerts/)."""

from django.urls import path

from . import views

urlpatterns = [path("ack/<str:token>/", views.acknowledge, name="alerts_acknowledge")]
