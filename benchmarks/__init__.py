"""Keryu's benchmark suite: `bin/bench [section ...]` (see README.md and docs/benchmarks.md).

Everything runs on 127.0.0.1: gunicorn serving the real project (plus one trivial view, only under
`benchmarks.settings`), real Celery workers, PostgreSQL, Redis and the fake providers from testkit/fakes
answering in 100 ms. Each section prints its tables; the run is appended to docs/benchmarks.md.
"""
