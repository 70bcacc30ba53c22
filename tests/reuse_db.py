"""`--reuse-db` without a stale schema: a kept test database carries the digest of the migrations it was built
from, and is rebuilt when they differ.

Django's keepdb applies new migrations to a kept database, but not a migration edited in place, nor one that
went away when the branch changed: the schema would silently differ from the code. So after set-up the digest
of every installed app's migration files is stored in a one-row table of the test database itself, and the next
`--reuse-db` run compares it before deciding to keep the database (tests/conftest.py, `django_db_createdb`).
The table is no model's: Django's flush between transactional tests leaves it alone.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from django.apps import apps
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader

TABLE = "keryu_test_schema"


def schema_digest(*, use_migrations: bool = True) -> str:
    """sha256 over the path and contents of every migration file of every installed app (Django's and
    third-party apps' included: an upgrade changes them too). `use_migrations=False` (pytest's
    `--nomigrations`) builds tables straight from the models, which is another schema."""
    digest = hashlib.sha256(f"migrations={use_migrations}\n".encode())
    for config in sorted(apps.get_app_configs(), key=lambda c: c.label):
        module, _ = MigrationLoader.migrations_module(config.label)
        spec = importlib.util.find_spec(module) if module else None
        for folder in (spec.submodule_search_locations or []) if spec else []:
            for path in sorted(Path(folder).rglob("*.py")):
                digest.update(f"{config.label}/{path.relative_to(folder)}\n".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def stored_digest(alias: str, *, database: str) -> str | None:
    """The digest recorded in `database` (a test database of `alias`), or None when there is no such database or
    it carries none."""
    connection = connections[alias]
    if connection.vendor == "sqlite" and (connection.creation.is_in_memory_db(database) or not Path(database).exists()):
        return None  # (connecting would create an empty file)
    probe = connection.copy()
    probe.settings_dict["NAME"] = database
    try:
        with probe.cursor() as cursor:
            cursor.execute(f"SELECT digest FROM {TABLE}")  # nosec B608: a constant
            row = cursor.fetchone()
    except DatabaseError:  # no database, or one built before digests were stored
        return None
    finally:
        probe.close()
    return row[0] if row else None


def store_digest(alias: str, digest: str) -> None:
    """Record `digest` in the test database `alias` now points at (call after set-up)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (digest varchar(64) NOT NULL)")
        cursor.execute(f"DELETE FROM {TABLE}")  # nosec B608: a constant
        cursor.execute(f"INSERT INTO {TABLE} (digest) VALUES (%s)", [digest])  # nosec B608: a constant
