"""Schemathesis against the OpenAPI schema, as the CLI runs it: every phase but the stateful one, every
response-conformance check. No server errors, only documented statuses, content types and headers, bodies
that match the schema.

Runs in-process through Django's WSGI app (nothing leaves the process), as a custodian with a machine token
(the role the open sign-up hands anyone), bounded: a fixed seed, deterministic generation, few examples per
operation. The engine sends its requests from worker threads, so the data it needs is committed
(`transaction=True`), not kept in this test's own transaction.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from rest_framework.authtoken.models import Token
from rest_framework.views import APIView
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events

from ..factories import AlarmFactory

pytestmark = pytest.mark.django_db(transaction=True)
SEED = 20261203
EXAMPLES_PER_OPERATION = 10
# The contract: no server errors, only documented statuses, content types and headers, bodies that match.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]


def _config(token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "cache": {"enabled": False},  # nothing carried over between runs, nothing written into the tree
            "workers": 1,
            "headers": {"Authorization": f"Token {token}"},
            "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True, "database": "none"},
            "phases": {"stateful": {"enabled": False}},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )


def test_every_operation_answers_within_its_schema(alice, alice_code, monkeypatch):
    # Throttling answers a documented 429: conformant, but it would hide the rest of the run's answers.
    monkeypatch.setattr(APIView, "throttle_classes", [])
    AlarmFactory(qr_code=alice_code)
    token = Token.objects.get_or_create(user=alice)[0].key
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=_config(token))
    assert len(list(schema.get_all_operations())) >= 20
    failures: dict[str, str] = {}
    errors: list[str] = []
    tested = Counter()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            tested[event.phase.value] += len(event.recorder.cases)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        key = f"{failure.code} {event.recorder.label}: {failure.title}"
                        sent = event.recorder.interactions.get(case_id)
                        uri = sent.request.uri if sent else check.failure_info.code_sample[:400]
                        failures.setdefault(
                            key, f"{failure.message[:300]}\n    {sent.request.method if sent else ''} {uri}"
                        )
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            errors.append(f"{getattr(event, 'label', '')}: {event.info.message[:300]}")
    print(f"schemathesis: {dict(tested)} cases, {len(failures)} distinct failures, {len(errors)} errors")
    assert not errors, "\n".join(errors)
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(
        f"{k}\n    {v}" for k, v in sorted(failures.items())
    )
