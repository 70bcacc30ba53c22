"""Fixture for keryu-requests-without-timeout (semgrep --test)."""

import requests
from requests import Session, post

URL = "http://127.0.0.1:9/"


def module_level_calls() -> None:
    # ruleid: keryu-requests-without-timeout
    requests.get(URL)
    # ruleid: keryu-requests-without-timeout
    requests.post(URL, json={"a": 1}, headers={"Authorization": "Bearer x"})
    # ruleid: keryu-requests-without-timeout
    requests.request("PATCH", URL, data=b"")
    # ruleid: keryu-requests-without-timeout
    post(URL, data={})


def session_calls() -> None:
    session = requests.Session()
    # ruleid: keryu-requests-without-timeout
    session.get(URL)
    with Session() as s:
        # ruleid: keryu-requests-without-timeout
        s.delete(URL)
    # ruleid: keryu-requests-without-timeout
    requests.Session().put(URL)
    # ruleid: keryu-requests-without-timeout
    requests.get(URL, timeout=None)


def with_timeouts(timeouts) -> None:
    # ok: keryu-requests-without-timeout
    requests.get(URL, timeout=5)
    # ok: keryu-requests-without-timeout
    requests.post(URL, json={}, timeout=timeouts())
    session = requests.Session()
    # ok: keryu-requests-without-timeout
    session.head(URL, timeout=(3.05, 10))
    # ok: keryu-requests-without-timeout
    requests.request("GET", URL, timeout=2)


def not_http(d: dict) -> None:
    # ok: keryu-requests-without-timeout
    d.get("x")
    # ok: keryu-requests-without-timeout
    requests.Timeout("not a call to the network")
