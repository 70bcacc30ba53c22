"""What tests/, drills/ and benchmarks/ share: local fake providers and the processes they start.

- `testkit.fakes`: HTTP servers on 127.0.0.1 that behave like the Meta Graph API and Twilio, both on one
  `FakeServer` (tests and drills subclass it for their own misbehaviour); a small SMTP server; pytest fixtures.
- `testkit.celery_worker`: a real Celery worker process against the test database, and `wait_for`.
- `testkit.procs`: celery beat, gunicorn and a private redis-server, each started and stopped by its caller.
- `testkit.procfile`: the Procfile's web, worker and beat plus an AOF Redis under a systemd-like supervisor.
- `testkit.spread`: the spread drill (two webs, two workers, one database) and its nothing-doubled-or-lost check.
- `testkit.scans`: the alarm a scan's confirmation redirect names.

Never imported by the apps (tests/test_architecture.py checks it). Importing this package imports nothing:
`testkit.fakes.meta` works before Django is configured; `celery_worker`, `procs` and `procfile` read settings.
"""
