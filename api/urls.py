from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter
from rest_framework_simplejwt.views import TokenRefreshView

from . import views
from .auth import OTPTokenObtainPairView


class Router(DefaultRouter):
    """No format suffixes (`/api/alarms.json`): the schema documents none, so they are 404s like any unknown URL.
    `?format=json` and the Accept header choose the renderer."""

    include_format_suffixes = False


router = Router()
router.register("subjects", views.SubjectViewSet, basename="subject")
router.register("qr-codes", views.QRCodeViewSet, basename="qrcode")
router.register("alarms", views.AlarmViewSet, basename="alarm")
router.register("notification-attempts", views.NotificationAttemptViewSet, basename="notificationattempt")
router.register("messages", views.MessageViewSet, basename="message")
router.register("templates", views.MessageTemplateViewSet, basename="messagetemplate")

urlpatterns = [
    path("token/", OTPTokenObtainPairView.as_view(), name="api-token"),
    path("token/refresh/", TokenRefreshView.as_view(), name="api-token-refresh"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, so the docs page needs no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
    # Anything else under /api/ that ends in a slash or a suffix is a JSON 404, as the schema says, not Django's
    # HTML page. A path with neither still gets CommonMiddleware's redirect to its slash form first.
    re_path(r"^.*(?:/|\.[^/]*)$", views.not_found, name="api-not-found"),
]
