"""One set of finder fields: the Report value carries what an alarm and a further report store."""

from __future__ import annotations

from dataclasses import fields

from alerts.models import FinderReport
from alerts.services import Report


def test_a_report_carries_exactly_the_fields_an_alarm_and_a_further_report_store():
    assert {field.name for field in fields(Report)} == {field.name for field in FinderReport._meta.fields}
