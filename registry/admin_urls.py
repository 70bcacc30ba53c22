"""Admin URLs (registered under /admin/registry/ by wagtail_hooks); Wagtail's admin login applies to each."""

from django.urls import include, path

from . import views

# One code's images, its badge and its on/off switch.
qr_code_urls = [
    path("png/", views.qr_code_png, name="registry_qr_png"),
    path("svg/", views.qr_code_svg, name="registry_qr_svg"),
    path("badge.pdf", views.qr_code_badge_pdf, name="registry_qr_badge_pdf"),
    path("toggle/", views.qr_code_toggle, name="registry_qr_toggle"),
]

urlpatterns = [
    path("photos/<str:name>/", views.subject_photo, name="registry_subject_photo"),
    path("subjects/<int:pk>/generate-code/", views.subject_code_generate, name="registry_subject_code_generate"),
    path("qr/badges.pdf", views.qr_code_badges_pdf, name="registry_qr_badges_pdf"),
    path("qr/<int:pk>/", include(qr_code_urls)),
]
