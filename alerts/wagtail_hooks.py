from wagtail.snippets.models import register_snippet

from .viewsets import AlarmViewSet

register_snippet(AlarmViewSet)
