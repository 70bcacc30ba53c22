from wagtail.snippets.models import register_snippet

from .viewsets import MessagingViewSetGroup

register_snippet(MessagingViewSetGroup)
