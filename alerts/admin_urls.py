"""Admin URLs (registered under /admin/alerts/ by wagtail_hooks); Wagtail's admin login applies to each."""

from django.urls import include, path

from . import views

# What staff and custodians do to one alarm (its inspect page links each).
alarm_urls = [
    path("acknowledge/", views.acknowledge_admin, name="alerts_acknowledge_admin"),
    path("retry/", views.retry, name="alerts_retry"),
    path("resolve/", views.resolve, name="alerts_resolve"),
    path("notes/", views.note_add, name="alerts_note_add"),
    path("staff-acknowledge/", views.staff_acknowledge, name="alerts_staff_acknowledge"),
    path("emergency-called/", views.emergency_called, name="alerts_emergency_called"),
]

urlpatterns = [
    path("test-alarm/<int:qr_pk>/", views.test_alarm, name="alerts_test_alarm"),
    path("alarms/<int:pk>/", include(alarm_urls)),
    path("export/<str:fmt>/", views.export, name="alerts_export"),
    path("statistics/", views.statistics, name="alerts_statistics"),
]
