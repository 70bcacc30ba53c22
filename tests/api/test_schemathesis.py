"""Schemathesis against the OpenAPI schema: no server errors, no response that breaks the schema.

Runs in-process through Django's WSGI app (nothing leaves the process), authenticated with a staff machine
token so every route is exercised, with a small, bounded number of generated cases per operation. Driven
programmatically (schemathesis' own pytest plugin does not run under pytest 9 yet).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ..factories import AlarmFactory

pytestmark = pytest.mark.django_db
EXAMPLES_PER_OPERATION = 10
# The contract: no server errors, only documented statuses and content types, bodies that match the schema.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes DB connections when a request ends (Django's test Client avoids that too);
    the test's transaction must survive each in-process request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_every_operation_answers_within_its_schema(staff, alice_code, keep_test_connection, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    AlarmFactory(qr_code=alice_code)
    token = Token.objects.get_or_create(user=staff)[0].key
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,  # the same cases every run: CI stays reproducible
        )
        def run(case):
            case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)

        try:
            run()
        except BaseException as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)
