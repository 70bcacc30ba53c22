"""The scan POST survives a dropped database connection: one retry, then a 503 page the finder resubmits from.

The connection is really dropped: a second connection runs `pg_terminate_backend` on the web request's
backend just before the alarm's INSERT, so the INSERT meets a dead server connection, as after a failover.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection
from django.test import Client

from alerts.models import Alarm

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("terminates a PostgreSQL backend")


def _terminate_backend(pid: int) -> None:
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname=s["NAME"],
        autocommit=True,
    ) as admin:
        # The timeout form waits until the backend has really gone.
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


@contextmanager
def backend_killed_before_alarm_insert(times: int) -> Iterator[list[int]]:
    """Terminate this thread's backend the first `times` times the alarm row is inserted."""
    killed: list[int] = []

    def wrapper(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "alerts_alarm"') and len(killed) < times:
            pid = context["connection"].connection.info.backend_pid
            _terminate_backend(pid)
            killed.append(pid)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield killed


REPORT = {
    "situation_type": "INJURED",
    "description": "Se cayó de la bici, sangra la rodilla",
    "location": "Parque México, junto a la fuente",
    "finder_name": "Ana",
}


def test_a_scan_survives_a_dropped_database_connection_by_retrying_once(alice_code):
    client = Client(raise_request_exception=False)
    with backend_killed_before_alarm_insert(times=1) as killed:
        response = client.post(f"/scan/{alice_code.uuid}/", REPORT)
    assert len(killed) == 1
    assert response.status_code == 302 and "/sent/" in response.url
    alarm = Alarm.objects.get()
    assert (alarm.situation_type, alarm.location) == ("INJURED", REPORT["location"])
    assert alarm.attempts.exists()  # the outbox was written with the alarm, in the retried transaction


def test_a_scan_that_fails_twice_answers_a_503_page_in_the_finders_language_to_resubmit_from(alice_code):
    client = Client(raise_request_exception=False)
    with backend_killed_before_alarm_insert(times=2) as killed:
        response = client.post(f"/scan/{alice_code.uuid}/", REPORT, HTTP_ACCEPT_LANGUAGE="es")
    assert len(killed) == 2  # the first try and exactly one retry
    assert response.status_code == 503 and response["Retry-After"]
    assert not Alarm.objects.exists()
    html = response.content.decode()
    assert "No pudimos enviar tu aviso" in html  # Spanish, as the finder's browser asked
    assert 'href="tel:911"' in html  # the emergency number, always
    # The finder's report is kept in the form, ready to send again.
    assert REPORT["description"] in html and REPORT["location"] in html and 'value="Ana"' in html
    assert "checked" in html.split('value="INJURED"')[1].split(">")[0]

    resubmitted = client.post(f"/scan/{alice_code.uuid}/", REPORT, HTTP_ACCEPT_LANGUAGE="es")
    assert resubmitted.status_code == 302 and Alarm.objects.count() == 1
