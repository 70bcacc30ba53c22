"""Every API URL pattern, with a `.json` suffix and with `?format=json`: the suffix is a JSON 404 (the schema
documents no suffixed routes), the query parameter answers exactly as the plain URL does, and nothing is a 500."""

from __future__ import annotations

import re

import pytest
from django.db import transaction

from messaging.models import MessageTemplate

from ..urlwalk import all_routes, params_of

pytestmark = pytest.mark.django_db
METHODS = ["get", "post", "put", "patch", "delete"]
GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")


def api_urls_for(world: dict[str, int]) -> list[tuple[str, str]]:
    """(url, method) for every pattern the resolver knows under /api/, its ids filled from `world`, suffix
    variants left out: they are what this test adds."""
    found = []
    for route in all_routes():
        if not route.route.startswith("api/") or "format" in params_of(route):
            continue
        basename = (route.name or "").split("-")[0]  # router names are "<basename>-<action>"; no basename has "-"
        url = "/" + GROUP.sub(lambda m, b=basename: str(world.get(b, 0)), route.route.removesuffix("$"))
        actions = getattr(route.callback, "actions", None)
        for method in actions or METHODS:
            found.append((url, method))
    return found


def _call(client, method: str, url: str):
    """Each request sees the same data: whatever it writes is rolled back."""
    with transaction.atomic():
        response = getattr(client, method)(url, {}, format="json")
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("who", ["alice", "staff"])
def test_every_api_url_answers_a_format_suffix_with_404_and_the_format_parameter_like_the_plain_url(
    who, request, token_for, alice_world
):
    world = {**alice_world, "messagetemplate": MessageTemplate.objects.values_list("pk", flat=True).first() or 0}
    client = token_for(request.getfixturevalue(who))
    client.raise_request_exception = False  # a 500 is an answer to collect, not an error in the test
    urls = api_urls_for(world)
    assert len({url for url, _ in urls}) >= 20
    wrong = []
    for url, method in urls:
        plain = _call(client, method, url)
        suffixed = _call(client, method, (url if url == "/api/" else url.rstrip("/")) + ".json")
        parameter = _call(client, method, url + "?format=json")
        kind = suffixed.get("Content-Type", "")
        if suffixed.status_code != 404 or not kind.startswith("application/json"):
            wrong.append(f"{method.upper()} {url} with .json -> {suffixed.status_code} {kind}")
        # A view without a JSON renderer (the docs page) may refuse the parameter with a 404; nothing may 500.
        if parameter.status_code != plain.status_code and not (parameter.status_code == 404 and url == "/api/docs/"):
            wrong.append(f"{method.upper()} {url}?format=json -> {parameter.status_code}, plain {plain.status_code}")
    assert not wrong, "\n".join(wrong)
