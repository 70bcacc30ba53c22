"""What `messaging` announces, so news flows upward without `messaging` importing `alerts`.

`message_status_changed`: a message's status changed. Sent with `message` (the Message) and `status` (the new
MessageStatus value); `alerts` listens to it. It fires when a message is SENT (provider accepted it), when a
send fails permanently, and when a webhook moves it forward (delivered, read, undelivered, failed). For
failures `message.error_code` holds the provider's code and `message.error_action` what to do about it
("retry", "switch" or "stop", see channels.base.ErrorAction): asynchronous failures such as Meta 131047 or
Twilio 63016 arrive this way, after a synchronous accept.

`inbound_message_received`: an inbound reply (WhatsApp or SMS) was recorded and answered, once per provider
id. Sent with `inbound` (the InboundMessage) and `in_reply_to` (the outbound Message it answers, or None). An
announcement for observers only: what a reply means and what to answer the sender is the business of the one
handler registered in `messaging.inbound`; what receivers return is ignored. (`alerts` listens to it to lift the
reachability-drill flags of whoever wrote to us.)

`meta_template_changed`: Meta paused, rejected, disabled or recategorised one of our WhatsApp templates (its
webhooks), so messaging holds it back until Meta approves it again. Sent with `name`, `language_code`, `change`
(the new status, or "RECATEGORISED") and `detail` (Meta's reason or the categories). `alerts` tells staff.
"""

from django.dispatch import Signal

message_status_changed = Signal()
inbound_message_received = Signal()
meta_template_changed = Signal()
