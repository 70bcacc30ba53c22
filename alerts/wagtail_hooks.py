from django.urls import URLPattern, URLResolver, include, path
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from .viewsets import AlarmViewSet, EscalationPolicyViewSet, ReachabilityCheckViewSet

register_snippet(AlarmViewSet)
register_snippet(EscalationPolicyViewSet)
register_snippet(ReachabilityCheckViewSet)


@hooks.register("register_admin_urls")
def register_alerts_admin_urls() -> list[URLPattern | URLResolver]:
    return [path("alerts/", include("alerts.admin_urls"))]
