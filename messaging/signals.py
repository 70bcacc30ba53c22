"""The one signal `messaging` sends: a message's status changed.

Sent with `message` (the Message) and `status` (the new MessageStatus value). `alerts` listens to it; this
is how delivery news flows upward without `messaging` importing `alerts`.
"""

from django.dispatch import Signal

message_status_changed = Signal()

# An inbound reply (WhatsApp or SMS) arrived: sent with `inbound` (the recorded inbound message) and
# `in_reply_to` (the outbound Message it answers, or None). `alerts` uses it for acknowledgement by reply.
inbound_message_received = Signal()
