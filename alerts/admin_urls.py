"""Admin URLs (registered under /admin/alerts/ by wagtail_hooks); Wagtail's admin login applies to each."""

from django.urls import path

from . import views

urlpatterns = [
    path("test-alarm/<int:qr_pk>/", views.test_alarm, name="alerts_test_alarm"),
    path("alarms/<int:pk>/retry/", views.retry, name="alerts_retry"),
    path("alarms/<int:pk>/resolve/", views.resolve, name="alerts_resolve"),
    path("alarms/<int:pk>/notes/", views.note_add, name="alerts_note_add"),
    path("alarms/<int:pk>/staff-acknowledge/", views.staff_acknowledge, name="alerts_staff_acknowledge"),
    path("alarms/<int:pk>/emergency-called/", views.emergency_called, name="alerts_emergency_called"),
    path("export/<str:fmt>/", views.export, name="alerts_export"),
    path("statistics/", views.statistics, name="alerts_statistics"),
]
