import django_filters
from django.urls import URLPattern, URLResolver, include, path
from wagtail import hooks
from wagtail.admin.active_filters import register_filter_adapter_class
from wagtail.snippets.models import register_snippet

from .dashboard import alerts_homepage_panels, reachability_homepage_panels
from .viewsets import AlarmViewSet, ChosenSubjectAdapter, EscalationPolicyViewSet, ReachabilityCheckViewSet

register_filter_adapter_class(django_filters.NumberFilter, ChosenSubjectAdapter)
register_snippet(AlarmViewSet)
register_snippet(EscalationPolicyViewSet)
register_snippet(ReachabilityCheckViewSet)
hooks.register("construct_homepage_panels", reachability_homepage_panels)


@hooks.register("register_admin_urls")
def register_alerts_admin_urls() -> list[URLPattern | URLResolver]:
    return [path("alerts/", include("alerts.admin_urls"))]


hooks.register("construct_homepage_panels", alerts_homepage_panels)
