"""The finder's side of the relay as a browser posts it: the progress page sends no Referer, so its form arrives
with `Origin: null` like the scan form's; it is keyed by the signed token in its URL and refused cross-site."""

from __future__ import annotations

import pytest
from django.test import Client

from alerts.models import Alarm, RelayMessage
from alerts.services import alarm_acknowledge

pytestmark = pytest.mark.django_db


def test_the_finders_message_posts_with_origin_null_and_a_cross_site_post_is_refused(alice_code):
    client = Client(enforce_csrf_checks=True)  # as a browser: Django's CSRF check on
    response = client.post(f"/scan/{alice_code.uuid}/", {"situation_type": "LOST", "location": "Metro"})
    assert response.status_code == 302
    page = response.url
    alarm = Alarm.objects.get()
    alarm_acknowledge(alarm_id=alarm.pk, attempt_id=alarm.attempts.get().pk)

    sent = client.post(
        page + "relay/", {"text": "Seguimos aquí"}, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert sent.status_code == 302 and sent.url.endswith("#conversation")
    refused = client.post(page + "relay/", {"text": "de otro sitio"}, HTTP_SEC_FETCH_SITE="cross-site")
    assert refused.status_code == 403
    assert [r.text for r in RelayMessage.objects.all()] == ["Seguimos aquí"]
