"""With the cache Redis down, signing in and the API keep working (the scan page's own test is in tests/home)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

# A ResilientRedisCache pointing at a port nobody listens on: every call fails as with Redis stopped.
CACHE_DOWN = {
    "default": {
        "BACKEND": "core.cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


def test_sign_in_still_works_while_the_cache_redis_is_down(alice):
    with override_settings(AXES_ENABLED=True, CACHES=CACHE_DOWN):
        client = Client()
        response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.3.0.1")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_a_wrong_password_while_the_cache_redis_is_down_is_an_ordinary_refusal(alice):
    with override_settings(AXES_ENABLED=True, CACHES=CACHE_DOWN):
        client = Client()
        response = client.post("/admin/login/", {"username": "alice", "password": "not-it"}, REMOTE_ADDR="10.3.0.2")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_api_answers_while_the_cache_redis_is_down(alice_subject):
    token = Token.objects.create(user=alice_subject.custodian.user)
    with override_settings(CACHES=CACHE_DOWN):
        response = Client().get("/api/subjects/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json()["count"] == 1
