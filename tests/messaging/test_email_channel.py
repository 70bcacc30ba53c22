"""The email channel through Django's mail API: subject, text and HTML."""

from __future__ import annotations

import pytest
from django.core import mail

from messaging.channels import ChannelError, OutboundMessage
from messaging.channels.email import EmailChannel


def test_email_has_subject_text_and_html_and_a_message_id():
    result = EmailChannel().send(
        OutboundMessage(message_id=3, to="alice@example.com", subject="Keryu: Sofía", body="Line one\n\n<b>two</b>")
    )
    [email] = mail.outbox
    assert email.subject == "Keryu: Sofía" and email.to == ["alice@example.com"]
    assert email.body == "Line one\n\n<b>two</b>"
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html" and "&lt;b&gt;two&lt;/b&gt;" in html and "<p>Line one</p>" in html
    assert email.extra_headers["Message-ID"].strip("<>") == result.provider_message_id


def test_a_phone_number_is_not_an_email_address():
    with pytest.raises(ChannelError) as caught:
        EmailChannel().send(OutboundMessage(message_id=3, to="+525512345678", body="x"))
    assert caught.value.permanent
