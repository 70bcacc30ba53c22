"""The one signal `messaging` sends: a message's status changed.

Sent with `message` (the Message) and `status` (the new MessageStatus value). `alerts` listens to it; this
is how delivery news flows upward without `messaging` importing `alerts`. It fires when a message is SENT
(provider accepted it), when a send fails permanently, and when a webhook moves it forward (delivered,
read, undelivered, failed). For failures `message.error_code` holds the provider's code and
`message.error_action` what to do about it ("retry", "switch" or "stop", see channels.base.ErrorAction):
asynchronous failures such as Meta 131047 or Twilio 63016 arrive this way, after a synchronous accept.
"""

from django.dispatch import Signal

message_status_changed = Signal()

# An inbound reply (WhatsApp or SMS) arrived: sent with `inbound` (the recorded inbound message) and
# `in_reply_to` (the outbound Message it answers, or None). `alerts` uses it for acknowledgement by reply.
inbound_message_received = Signal()
