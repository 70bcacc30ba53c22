"""The one signal `messaging` sends: a message's status changed.

Sent with `message` (the Message) and `status` (the new MessageStatus value). `alerts` listens to it; this
is how delivery news flows upward without `messaging` importing `alerts`.
"""

from django.dispatch import Signal

message_status_changed = Signal()
