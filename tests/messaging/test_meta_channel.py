"""The Meta WhatsApp adapter against the local fake Graph API: exact requests, each error class, timeouts."""

from __future__ import annotations

import pytest

from messaging.channels import ChannelError, ErrorAction, OutboundMessage
from messaging.channels.meta_whatsapp import MetaWhatsAppChannel


def _template_message(**kwargs) -> OutboundMessage:
    defaults = {
        "message_id": 42,
        "to": "+525512345678",
        "body": "ignored for templates",
        "whatsapp_template": "qr_template_on_m",
        "whatsapp_language": "es_MX",
        "whatsapp_parameters": ("Sofía", "2026-11-21 18:30"),
        # The shipped definition's buttons: three quick-reply payloads and the URL button's suffix.
        "whatsapp_buttons": ("p-ack", "p-cant", "p-wrong", "tok.en"),
    }
    return OutboundMessage(**(defaults | kwargs))


def test_template_send_posts_the_exact_request_and_returns_the_wamid(fake_meta):
    result = MetaWhatsAppChannel().send(_template_message())
    assert result.provider_message_id.startswith("wamid.")
    [request] = fake_meta.requests
    assert request.path == "/v21.0/109876543210/messages"
    assert request.headers["authorization"] == "Bearer meta-test-token"
    assert request.headers["content-type"] == "application/json"
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "525512345678",
        "biz_opaque_callback_data": "42",
        "type": "template",
        "template": {
            "name": "qr_template_on_m",
            "language": {"code": "es_MX"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": "Sofía"}, {"type": "text", "text": "2026-11-21 18:30"}],
                },
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "0",
                    "parameters": [{"type": "payload", "payload": "p-ack"}],
                },
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "1",
                    "parameters": [{"type": "payload", "payload": "p-cant"}],
                },
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "2",
                    "parameters": [{"type": "payload", "payload": "p-wrong"}],
                },
                {"type": "button", "sub_type": "url", "index": "3", "parameters": [{"type": "text", "text": "tok.en"}]},
            ],
        },
    }
    assert fake_meta.payload_for(result.provider_message_id, 0) == "p-ack"


def test_the_fake_refuses_a_template_send_without_its_url_button(fake_meta):
    with pytest.raises(ChannelError) as caught:
        MetaWhatsAppChannel().send(_template_message(whatsapp_buttons=()))
    assert caught.value.code == "131008"


def test_text_send_when_no_template(fake_meta):
    MetaWhatsAppChannel().send(OutboundMessage(message_id=7, to="+14155550123", body="Hola 👋"))
    body = fake_meta.requests[0].json
    assert body["type"] == "text" and body["text"] == {"preview_url": False, "body": "Hola 👋"}
    assert body["to"] == "14155550123"


def test_parameters_with_newlines_are_flattened_before_they_leave(fake_meta):
    MetaWhatsAppChannel().send(_template_message(whatsapp_parameters=("Sofía\nArroyo", "18:30\t")))
    params = fake_meta.requests[0].json["template"]["components"][0]["parameters"]
    assert [p["text"] for p in params] == ["Sofía Arroyo", "18:30"]


@pytest.mark.parametrize(
    ("code", "action"),
    [
        (2, ErrorAction.RETRY),
        (130429, ErrorAction.RETRY),
        (131000, ErrorAction.RETRY),
        (131056, ErrorAction.SWITCH),  # too many to this user: an alarm does not wait, the next channel goes
        (131047, ErrorAction.SWITCH),
        (131026, ErrorAction.SWITCH),
        (132000, ErrorAction.SWITCH),
        (190, ErrorAction.STOP),
        (100, ErrorAction.STOP),
        (131008, ErrorAction.STOP),
        (131048, ErrorAction.STOP),
    ],
)
def test_each_meta_error_code_maps_to_its_action(fake_meta, code, action):
    fake_meta.fail_next(code)
    with pytest.raises(ChannelError) as caught:
        MetaWhatsAppChannel().send(_template_message())
    assert caught.value.action == action and caught.value.code == str(code)
    assert caught.value.permanent == (action != ErrorAction.RETRY)
    assert caught.value.alert_staff == (action == ErrorAction.STOP)


def test_the_fake_itself_refuses_a_wrong_token_with_190_which_means_stop(fake_meta, settings):
    settings.WHATSAPP_ACCESS_TOKEN = "wrong"
    with pytest.raises(ChannelError) as caught:
        MetaWhatsAppChannel().send(_template_message())
    assert caught.value.code == "190" and caught.value.action == ErrorAction.STOP


def test_a_parameter_count_mismatch_switches_channel(fake_meta):
    with pytest.raises(ChannelError) as caught:
        MetaWhatsAppChannel().send(_template_message(whatsapp_parameters=("only one",)))
    assert caught.value.code == "132000" and caught.value.action == ErrorAction.SWITCH


def test_a_5xx_without_a_known_code_is_retried(fake_meta):
    fake_meta.fail_next(1, status=503, message="Service temporarily unavailable")
    with pytest.raises(ChannelError) as caught:
        MetaWhatsAppChannel().send(_template_message())
    assert caught.value.action == ErrorAction.RETRY


def test_a_hanging_api_times_out_as_uncertain_and_is_never_retried(fake_meta):
    fake_meta.hang_next(1.5)  # read timeout is 0.5 s in tests
    with pytest.raises(ChannelError) as caught:
        MetaWhatsAppChannel().send(_template_message())
    # It may have taken the message: waiting for the receipt beats sending it twice.
    assert caught.value.code == "timeout" and caught.value.action == ErrorAction.UNCERTAIN


def test_a_refused_connection_is_retried(settings, fake_meta):
    settings.WHATSAPP_API_BASE_URL = "http://127.0.0.1:9"
    with pytest.raises(ChannelError) as caught:
        MetaWhatsAppChannel().send(_template_message())
    assert caught.value.action == ErrorAction.RETRY


def test_unconfigured_meta_says_so(settings):
    settings.WHATSAPP_ACCESS_TOKEN = ""
    assert not MetaWhatsAppChannel().is_configured()


def test_sends_from_one_thread_share_a_session_renewed_after_idling(monkeypatch):
    """Keep-alive: one session per thread and base URL (no new Session and connection per send); after
    KEEPALIVE_IDLE_SECONDS without a send it is replaced (the server may be closing the idle connection)."""
    import threading

    from messaging.channels import meta_whatsapp

    clock = [1000.0]
    monkeypatch.setattr(meta_whatsapp.time, "monotonic", lambda: clock[0])
    first = meta_whatsapp.http_session("http://meta.example")
    assert meta_whatsapp.http_session("http://meta.example") is first
    assert meta_whatsapp.http_session("http://other.example") is not first
    other_thread: list[object] = []
    thread = threading.Thread(target=lambda: other_thread.append(meta_whatsapp.http_session("http://meta.example")))
    thread.start()
    thread.join()
    assert other_thread[0] is not first
    clock[0] += meta_whatsapp.KEEPALIVE_IDLE_SECONDS + 1
    assert meta_whatsapp.http_session("http://meta.example") is not first


def test_the_session_reads_the_proxy_environment_once_per_base_url(monkeypatch):
    from messaging.channels import meta_whatsapp

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "bypassed.example")
    proxied = meta_whatsapp._new_session("https://graph.facebook.com")
    assert proxied.proxies.get("https") == "http://proxy.internal:3128" and not proxied.trust_env
    assert not meta_whatsapp._new_session("https://bypassed.example").proxies.get("https")
