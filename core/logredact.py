"""Keep secrets out of logs: a badge's scan code, progress and acknowledgement tokens travel in URLs.

Knowing a scan code is what lets someone raise an alarm for a vulnerable person, and an ack token answers for
a family; neither may reach a log file. `RedactFilter` rewrites Django's log records (a 404 logs its path);
`RedactingGunicornLogger` does the same for gunicorn's access log.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

PATTERNS = [
    # /scan/<uuid>/..., /scan-photo/<uuid>/, the spec's /subjects/qr/<uuid>/scan/: any UUID in a path.
    (re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"), "<code>"),
    # /alerts/ack/<signed token>/ and the scan progress token after /sent/.
    (re.compile(r"(/ack/)[^/\s?\"]+"), r"\1<token>"),
    (re.compile(r"(/sent/)[^/\s?\"]+"), r"\1<token>"),
    (re.compile(r"(/verify-email/)[^/\s?\"]+"), r"\1<token>"),
]


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactFilter(logging.Filter):
    """Rewrites the rendered message and drops the request from the record (its repr carries the path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if hasattr(record, "request"):
            record.request = None
        return True


class RedactingGunicornLogger(GunicornLogger):
    """gunicorn's access log with the same redaction (`--logger-class core.logredact.RedactingGunicornLogger`)."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        environ = dict(environ)
        for key in ("PATH_INFO", "RAW_URI", "QUERY_STRING", "HTTP_REFERER"):
            if environ.get(key):
                environ[key] = redact(environ[key])
        super().access(resp, req, environ, request_time)
