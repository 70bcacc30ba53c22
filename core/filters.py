"""Filter pieces every list shares (the admin lists, their exports, the API)."""

from __future__ import annotations

import django_filters as df

MAX_ID = 2**63 - 1  # beyond this a database integer overflows (found by schemathesis: a 500 on SQLite)


def id_filter(field_name: str) -> df.NumberFilter:
    """By number, not by choice among visible rows: an id out of the caller's scope matches nothing, the same
    answer as an id that does not exist (a different error would tell that it does)."""
    return df.NumberFilter(field_name=field_name, min_value=0, max_value=MAX_ID, decimal_places=0)
