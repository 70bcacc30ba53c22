"""The suite's own machinery: coverage measures every app, parallel test processes share nothing, and a reused
test database is never one built from other migrations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from wagtail.models import Site

from alerts.models import Alarm
from messaging.models import MessageTemplate
from registry.models import Custodian, QRCode, Subject

from .factories import AlarmFactory
from .reuse_db import schema_digest, store_digest, stored_digest

ROOT = settings.BASE_DIR


def test_coverage_measures_every_app():
    """A new app (one with an apps.py) is measured from the day it is added, and `keryu_site` with it."""
    source = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["coverage"]["run"]["source"]
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")} | {"keryu_site"}
    assert set(source) == apps


def _test_settings(env: dict[str, str]) -> dict:
    """The test settings as a fresh process with `env` sees them (as an xdist worker, or a Celery worker a test
    started, would)."""
    script = (
        "import json; from keryu_site.settings import test as s; print(json.dumps({"
        "'var': str(s.VAR_DIR), 'prefix': s.CACHES['default'].get('KEY_PREFIX', ''), "
        "'broker': s.CELERY_BROKER_TRANSPORT_OPTIONS, 'queue': s.CELERY_TASK_DEFAULT_QUEUE, "
        "'media': str(s.MEDIA_ROOT), "
        "'env_var': __import__('os').environ.get('KERYU_VAR_DIR')}))"
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "KERYU_VAR_DIR"))}
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=keep | env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout)


def test_each_xdist_worker_gets_its_own_var_dir_cache_prefix_and_broker_prefix(tmp_path):
    env = {"KERYU_VAR_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/9"}
    gw0 = _test_settings(env | {"PYTEST_XDIST_WORKER": "gw0", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/8"})
    gw1 = _test_settings(env | {"PYTEST_XDIST_WORKER": "gw1", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/8"})
    assert (gw0["var"], gw1["var"]) == (str(tmp_path / "gw0"), str(tmp_path / "gw1"))
    assert gw0["media"].startswith(gw0["var"]) and gw1["media"].startswith(gw1["var"])
    assert (gw0["prefix"], gw1["prefix"]) == ("gw0", "gw1")
    assert (gw0["broker"]["global_keyprefix"], gw1["broker"]["global_keyprefix"]) == ("gw0:", "gw1:")
    assert gw0["queue"] == gw1["queue"] == "default"  # the names the Procfile's --queues and the routes use
    # A child process (Celery worker, beat, web server) inherits the worker's environment: same places, no nesting.
    child = _test_settings(
        {"KERYU_VAR_DIR": gw0["env_var"], "PYTEST_XDIST_WORKER": "gw0", "REDIS_URL": env["REDIS_URL"]}
    )
    assert (child["var"], child["prefix"], child["broker"].get("global_keyprefix")) == (gw0["var"], "gw0", "gw0:")


def test_a_single_process_run_keeps_the_plain_names(tmp_path):
    plain = _test_settings({"KERYU_VAR_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/9"})
    assert (plain["var"], plain["prefix"]) == (str(tmp_path), "")
    assert "global_keyprefix" not in plain["broker"]


def test_the_file_broker_of_each_worker_lives_in_its_own_var_dir(tmp_path):
    gw1 = _test_settings(
        {"KERYU_VAR_DIR": str(tmp_path), "PYTEST_XDIST_WORKER": "gw1", "CELERY_BROKER_URL": "filesystem://"}
    )
    assert gw1["broker"]["data_folder_in"].startswith(str(tmp_path / "gw1"))


def test_editing_a_migration_in_place_changes_the_schema_digest(tmp_path, monkeypatch):
    """Django's keepdb would not re-run an edited migration: the digest must see the edit."""
    package = tmp_path / "edited_migrations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    migration = package / "0001_initial.py"
    migration.write_text("from django.db import migrations\n\nclass Migration(migrations.Migration):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with override_settings(MIGRATION_MODULES={"home": "edited_migrations"}):
        before = schema_digest()
        migration.write_text(migration.read_text() + "    initial = True\n")
        after = schema_digest()
    assert before != after != schema_digest()  # and neither is the real home app's
    assert schema_digest(use_migrations=False) != schema_digest()


@pytest.mark.django_db(transaction=True)
def test_the_digest_a_kept_database_carries_is_read_back_from_the_database_itself():
    """Written by the session's set-up through the test connection, read through a connection of its own."""
    database = connection.settings_dict["NAME"]  # the test database, once set up
    current = stored_digest("default", database=database)
    try:
        store_digest("default", "0" * 64)
        assert stored_digest("default", database=database) == "0" * 64
    finally:
        store_digest("default", current or schema_digest())  # a missing digest would only cost one rebuild


@pytest.mark.django_db(transaction=True)
def test_the_flush_between_transactional_tests_empties_every_table_and_restores_the_defaults(alice_code):
    """The tests' flush (DELETE on PostgreSQL, tests/pgbackend) leaves what a fresh database has: no row of a test,
    and the groups, pages and templates post_migrate ensures."""
    AlarmFactory(qr_code=alice_code)  # rows that reference each other across four tables
    call_command("flush", verbosity=0, interactive=False)
    assert not any(m.objects.exists() for m in (Alarm, QRCode, Subject, Custodian))
    assert Group.objects.exists() and Site.objects.filter(is_default_site=True).exists()
    assert MessageTemplate.objects.exists()
