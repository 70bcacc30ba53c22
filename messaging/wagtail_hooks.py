from wagtail import hooks
from wagtail.snippets.models import register_snippet

from .viewsets import MessageDeleteBulkAction, MessagingViewSetGroup

register_snippet(MessagingViewSetGroup)
hooks.register("register_bulk_action", MessageDeleteBulkAction, order=100)
