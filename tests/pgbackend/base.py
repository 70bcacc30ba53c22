"""PostgreSQL for the tests: Django's backend, flushing with DELETE instead of TRUNCATE.

pytest-django empties every table after each transactional test (`flush`). PostgreSQL's TRUNCATE of the ~90
tables replaces each table's files and took 1-3 s a time here; a DELETE of the same tables in one transaction
takes about 0.1 s. The outcome is the same: every table empty, then `post_migrate` restores what every database
has (home/setup.py). Foreign keys Django creates are DEFERRABLE INITIALLY DEFERRED, so the order of the DELETEs
does not matter; cascading to tables outside the list, or restarting sequences, is left to TRUNCATE.

Selected by keryu_site/settings/test.py; never used outside the tests.
"""

from __future__ import annotations

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences: bool = False, allow_cascade: bool = False) -> list[str]:
        if not tables or reset_sequences or allow_cascade:
            return super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        delete = f"{style.SQL_KEYWORD('DELETE')} {style.SQL_KEYWORD('FROM')}"
        return [f"{delete} {style.SQL_FIELD(self.quote_name(table))};" for table in tables]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
