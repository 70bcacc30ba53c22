"""Nothing sensitive is logged: scan codes and link tokens in URLs never reach a log line."""

from __future__ import annotations

import logging
import uuid

import pytest

from core.logredact import RedactFilter, RedactingGunicornLogger, redact

pytestmark = pytest.mark.django_db


def test_a_404_for_a_scan_code_logs_no_code(client, caplog, alice_code):
    from registry.services import qr_code_deactivate

    qr_code_deactivate(qr_code=alice_code)
    code = str(alice_code.uuid)
    with caplog.at_level(logging.INFO):
        client.get(f"/scan/{code}/")
        client.get(f"/scan/{uuid.uuid4()}/sent/c29tZXRva2Vu/")
        client.get("/alerts/ack/1.2:abcdefSIGNATURE/")
    handler_filter = RedactFilter()
    lines = []
    for record in caplog.records:
        handler_filter.filter(record)
        lines.append(record.getMessage())
    text = "\n".join(lines)
    assert "Not Found" in text or "deactivated code scanned" in text  # something was logged
    assert code not in text and code.split("-")[0] not in text
    assert "abcdefSIGNATURE" not in text and "c29tZXRva2Vu" not in text


def test_redact_keeps_the_shape_of_the_url():
    line = '127.0.0.1 "GET /scan/0b6c6c4e-1f0e-4a55-9d3e-2f1f2b3c4d5e/sent/eyJhIjo/status/ HTTP/1.1" 200'
    assert redact(line) == '127.0.0.1 "GET /scan/<code>/sent/<token>/status/ HTTP/1.1" 200'
    assert redact("/alerts/ack/12.34:sig-Nature_x/") == "/alerts/ack/<token>/"
    assert redact("/accounts/verify-email/abc.def:ghi/") == "/accounts/verify-email/<token>/"


def test_gunicorns_access_log_is_redacted(capsys):
    from types import SimpleNamespace

    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", "-")
    logger = RedactingGunicornLogger(cfg)
    code = "0b6c6c4e-1f0e-4a55-9d3e-2f1f2b3c4d5e"
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/scan/{code}/", "PATH_INFO": f"/scan/{code}/",
               "SERVER_PROTOCOL": "HTTP/1.1", "QUERY_STRING": "", "REMOTE_ADDR": "10.0.0.9"}  # fmt: skip
    req = SimpleNamespace(headers=[], path=f"/scan/{code}/", query="", uri=f"/scan/{code}/")
    resp = SimpleNamespace(status="200 OK", sent=100, headers=[], response_length=100)
    from datetime import timedelta

    logger.access(resp, req, environ, timedelta(seconds=0.01))
    for handler in logger.access_log.handlers:
        handler.flush()
    out = capsys.readouterr()
    written = out.out + out.err
    assert "/scan/<code>/" in written and code not in written


def test_every_log_line_goes_through_the_filter(settings):
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["redact"]
    assert all("filters" in h for h in settings.LOGGING["handlers"].values())
