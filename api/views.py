"""API viewsets: thin, scoped by the same selectors as the admin, writes through the same services."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import selectors as alert_selectors
from alerts import services as alert_services
from alerts.models import AlarmSource
from core.roles import user_is_staff
from messaging.models import MessageTemplate
from messaging.selectors import messages_visible_to
from registry import badges
from registry import services as registry_services
from registry.models import Subject
from registry.selectors import qr_codes_visible_to, subjects_visible_to

from . import filters
from . import serializers as s

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _caller(request: Request) -> User:
    """The signed-in caller (the API's default permission already requires one)."""
    if not request.user.is_authenticated:
        raise NotAuthenticated
    return request.user


@extend_schema(exclude=True)
class NotFoundView(APIView):
    """Unknown API URLs answer like the API's own 404s: JSON with a `detail`, whoever asks and by any method.

    An APIView with no authentication: it changes nothing, so there is no session for CSRF to protect, and
    DRF's own CSRF handling (SessionAuthentication only) never runs."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound()

    def get(self, request: Request, *args, **kwargs) -> Response:
        raise NotFound()

    post = put = patch = delete = get


not_found = NotFoundView.as_view()


class IsStaff(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return user_is_staff(request.user)


class SubjectViewSet(viewsets.ModelViewSet):
    serializer_class = s.SubjectSerializer
    filterset_class = filters.SubjectFilter
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]

    def get_queryset(self) -> QuerySet:
        return subjects_visible_to(self.request.user).prefetch_related("contacts").order_by("name", "pk")

    def perform_create(self, serializer):
        user = self.request.user
        custodian = serializer.validated_data.get("custodian")
        if custodian is None:
            if not hasattr(user, "custodian"):
                raise PermissionDenied("Only custodians register subjects for themselves; staff name a custodian.")
            custodian = user.custodian
        serializer.save(custodian=custodian)

    def perform_destroy(self, instance) -> None:
        """A subject with alarms is archived, never deleted with its history (the same rule as the consoles)."""
        try:
            registry_services.subject_remove(subject=instance, actor=self.request.user)
        except ValidationError as exc:  # a co-custodian: the subject is the household's, they leave instead
            raise PermissionDenied(exc.messages[0]) from None


class QRCodeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    serializer_class = s.QRCodeSerializer
    filterset_class = filters.QRCodeFilter
    ordering_fields = ["created_at", "last_used"]

    def get_queryset(self) -> QuerySet:
        return qr_codes_visible_to(self.request.user).order_by("-created_at", "pk")

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if isinstance(serializer, serializers.Serializer) and "subject" in serializer.fields:
            subject = cast("serializers.PrimaryKeyRelatedField[Subject]", serializer.fields["subject"])
            # rest_framework-stubs types `queryset` as QuerySet | Manager; mypy reads Manager as a descriptor there.
            subject.queryset = subjects_visible_to(self.request.user)  # type: ignore[arg-type]
        return serializer

    def perform_create(self, serializer):
        serializer.instance = registry_services.qr_code_create(subject=serializer.validated_data["subject"])

    @extend_schema(request=None, responses=s.QRCodeSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk=None) -> Response:
        code = registry_services.qr_code_activate(qr_code=self.get_object())
        return Response(self.get_serializer(code).data)

    @extend_schema(
        parameters=[OpenApiParameter("image", str, enum=["png", "svg"], description=_("Image format (default png)."))],
        responses={(200, "image/png"): OpenApiTypes.BINARY, (200, "image/svg+xml"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path="download", url_name="download")
    def download(self, request: Request, pk=None) -> HttpResponse:
        """The code as an image for printing (error correction H, the absolute scan URL)."""
        code = self.get_object()
        if request.query_params.get("image") == "svg":
            return HttpResponse(badges.qr_svg(code), content_type="image/svg+xml")
        return HttpResponse(badges.qr_png(code), content_type="image/png")

    @extend_schema(request=None, responses=s.QRCodeSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk=None) -> Response:
        code = registry_services.qr_code_deactivate(qr_code=self.get_object())
        return Response(self.get_serializer(code).data)


class AlarmViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alarms are append-only records: read, resolve and retry here; nobody deletes one (405)."""

    serializer_class = s.AlarmSerializer
    filterset_class = filters.AlarmFilter
    ordering_fields = ["timestamp"]

    def get_queryset(self) -> QuerySet:
        return alert_selectors.alarms_visible_to(self.request.user).order_by("-timestamp", "-pk")

    @extend_schema(
        request=s.AlarmCreateSerializer,
        responses={
            201: s.AlarmSerializer,
            200: OpenApiResponse(s.AlarmSerializer, description=_("The code's open alarm, which the report joined.")),
        },
    )
    def create(self, request: Request) -> Response:
        data = s.AlarmCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        qr_code = fields.pop("qr_code")
        # A report like the scan page's: it raises the alarm, or joins (and may upgrade) the code's open one.
        # The caller is who triggered it: a TEST goes only to them, as with the admin's test button.
        outcome = alert_services.report_submit(
            qr_code=qr_code,
            report=alert_services.Report(source=AlarmSource.API, **fields),
            triggered_by=_caller(request),
        )
        answer = status.HTTP_200_OK if outcome.joined else status.HTTP_201_CREATED
        return Response(s.AlarmSerializer(outcome.alarm).data, status=answer)

    @extend_schema(request=s.ResolveSerializer, responses=s.AlarmSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk=None) -> Response:
        body = s.ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alarm = alert_services.alarm_resolve(
            alarm=self.get_object(), user=_caller(request), notes=body.validated_data["resolution_notes"]
        )
        return Response(s.AlarmSerializer(alarm).data)

    @extend_schema(responses=s.NotificationAttemptSerializer(many=True))
    # One alarm's attempts are few: a plain list, neither paged nor filtered (the alarm list's filters do not apply).
    @action(detail=True, methods=["get"], url_path="notification-attempts", pagination_class=None, filter_backends=[])
    def notification_attempts(self, request: Request, pk=None) -> Response:
        attempts = alert_selectors.attempts_for_alarm(alarm=self.get_object())
        return Response(s.NotificationAttemptSerializer(attempts, many=True).data)

    @extend_schema(request=None, responses={202: s.RetrySerializer})
    @action(detail=True, methods=["post"], url_path="retry-notification")
    def retry_notification(self, request: Request, pk=None) -> Response:
        alarm = self.get_object()
        requeued = alert_services.alarm_retry_failed(alarm=alarm)
        attempts = alert_selectors.attempts_for_alarm(alarm=alarm)
        body = {"requeued": requeued, "attempts": s.NotificationAttemptSerializer(attempts, many=True).data}
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=s.StatisticsSerializer)
    @action(detail=False, methods=["get"])
    def statistics(self, request: Request) -> Response:
        stats = alert_selectors.alarm_statistics(alarms=self.get_queryset())
        return Response(s.StatisticsSerializer.from_statistics(stats).data)


class NotificationAttemptViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.NotificationAttemptSerializer
    filterset_class = filters.NotificationAttemptFilter

    def get_queryset(self) -> QuerySet:
        return alert_selectors.attempts_visible_to(self.request.user).select_related("message").order_by("-pk")


class MessageViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.MessageSerializer
    filterset_class = filters.MessageFilter

    def get_queryset(self) -> QuerySet:
        return messages_visible_to(self.request.user).order_by("-created_at", "-pk")


class CanReadTemplates(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("messaging.view_messagetemplate")


class MessageTemplateViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.MessageTemplateSerializer
    permission_classes = [permissions.IsAuthenticated, CanReadTemplates]
    filterset_fields = ["kind", "language", "channel"]

    def get_queryset(self) -> QuerySet:
        return MessageTemplate.objects.order_by("kind", "language", "pk")
