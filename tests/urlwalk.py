"""Every URL pattern the project serves, each with one concrete URL that resolves back to it.

Routes are spelled as Django spells `ResolverMatch.route` (prefixes joined, a nested regex's `^` dropped),
so a test can name a pattern exactly and a renamed or new pattern shows up as a difference.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

# Tried in order for each parameter until the URL resolves back to the same pattern.
CANDIDATES = ["1", str(uuid.UUID(int=1)), "x", "json", ".json", "x/", f"scan/{uuid.UUID(int=1)}/"]


@dataclass(frozen=True)
class Route:
    route: str  # as ResolverMatch.route spells it
    regex: str  # the full regex, for building a sample URL
    name: str | None

    def sample(self) -> str:
        """A URL that resolves to exactly this pattern (AssertionError if none of the candidates does)."""
        fmt, params = normalize(self.regex)[0]
        for values in itertools.product(*[_candidates(self.regex, p) for p in params]):
            url = "/" + fmt % dict(zip(params, values, strict=True))
            try:
                if resolve(url).route == self.route:
                    return url
            except Resolver404:
                continue
        raise AssertionError(f"no sample URL resolves to {self.route!r}: add a candidate in tests/urlwalk.py")


def _join(prefix: str, route: str) -> str:
    return route if not prefix else prefix + route.removeprefix("^")


def _candidates(regex: str, param: str) -> list[str]:
    """A literal alternative of the parameter's own group first (`(?P<app_label>accounts|registry)`)."""
    own = re.search(rf"\(\?P<{re.escape(param)}>([\w|-]+)\)", regex)
    first = [own.group(1).split("|")[0]] if own else []
    if param == "format":
        first.insert(0, "json")
    return first + CANDIDATES


def _walk(patterns, route: str, regex: str) -> Iterator[Route]:
    for p in patterns:
        here = _join(route, str(p.pattern))
        here_regex = regex + p.pattern.regex.pattern.removeprefix("^").removesuffix(r"\Z").removesuffix("$")
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, here, here_regex)
        else:
            yield Route(route=here, regex=here_regex, name=p.name)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", ""))
