"""Every URL pattern the project serves, each with one concrete URL that resolves back to it.

Routes are spelled as Django spells `ResolverMatch.route` (prefixes joined, a nested regex's `^` dropped),
so a test can name a pattern exactly and a renamed or new pattern shows up as a difference. The one walk of
the resolver the tests use (security headers, canary access, admin doors, MFA, API format suffixes).
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

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
    namespace: str = ""  # the instance namespaces above it, as reverse() spells them ("admin:")
    callback: Callable | None = field(default=None, compare=False, repr=False)  # the view

    @property
    def qualified_name(self) -> str:
        """The name reverse() takes ("admin:app_list"); only the namespace for an unnamed pattern."""
        return self.namespace + (self.name or "")

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
        # A catch-all (`api/.*…`) that `normalize` cannot spell: its literal prefix and a path nothing else takes.
        literal = re.match(r"[\w/-]*", self.route).group(0)
        url = f"/{literal}zz-not-a-route/"
        try:
            if resolve(url).route == self.route:
                return url
        except Resolver404:
            pass
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


def _walk(patterns, route: str, regex: str, namespace: str) -> Iterator[Route]:
    for p in patterns:
        here = _join(route, str(p.pattern))
        here_regex = regex + p.pattern.regex.pattern.removeprefix("^").removesuffix(r"\Z").removesuffix("$")
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, here, here_regex, namespace + (f"{p.namespace}:" if p.namespace else ""))
        else:
            yield Route(route=here, regex=here_regex, name=p.name, namespace=namespace, callback=p.callback)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", "", ""))


# --- Filling patterns with real objects (the canary walk) ------------------------------------------------

# A pattern under one of these prefixes names its model in the path: its object parameter is that model's.
_MODEL_IN_PATH = [
    re.compile(r"^admin/snippets/choose/(?P<app>\w+)/(?P<model>\w+)/"),
    re.compile(r"^admin/snippets/(?P<app>\w+)/(?P<model>\w+)/"),
    re.compile(r"^ops/(?P<app>\w+)/(?P<model>\w+)/"),
]
_FILL_PARAMS = {"pk", "object_id", "id"}
# Parameters that name one object: a pattern with none of them is a listing (asked with `q`, `p`, exports).
OBJECT_PARAMS = _FILL_PARAMS | {"page_id", "qr_pk", "name", "document_id", "image_id", "redirect_id", "doc_id"}
# Generic patterns that take a model as (app, model) parameters.
MODEL_PAIRS = [
    ("app_label", "model_name"),
    ("app_name", "model_name"),
    ("content_type_app_name", "content_type_model_name"),
]
MODEL_PARAMS = {p for pair in MODEL_PAIRS for p in pair}


def params_of(route: Route) -> list[str]:
    return normalize(route.regex)[0][1]


def _sample_values(route: Route) -> dict[str, str] | None:
    fmt, params = normalize(route.regex)[0]
    for values in itertools.product(*[_candidates(route.regex, p) for p in params]):
        kwargs = dict(zip(params, values, strict=True))
        try:
            if resolve("/" + fmt % kwargs).route == route.route:
                return kwargs
        except Resolver404:
            continue
    return None


def _url(route: Route, kwargs: dict[str, str]) -> str | None:
    """The URL for these values, if it resolves back to this very pattern."""
    fmt, _ = normalize(route.regex)[0]
    url = "/" + fmt % kwargs
    try:
        return url if resolve(url).route == route.route else None
    except Resolver404:
        return None


def filled_urls(route: Route, objects: dict[str, list], models: list[tuple[str, str]]) -> list[str]:
    """Concrete URLs for `route`, its object parameters filled with the objects of `objects` (keyed by
    "app_label.model_name", values are primary keys) and its model parameters with each of `models`.
    Parameters that name neither take the sample value. Empty if the pattern cannot be filled."""
    base = _sample_values(route)
    if base is None:
        return []
    params = params_of(route)
    in_path = next((m for rx in _MODEL_IN_PATH if (m := rx.match(route.route))), None)
    variants: list[dict[str, str]] = []
    pair = next((p for p in MODEL_PAIRS if p[0] in params and p[1] in params), None)
    if pair:
        for app, model in models:
            kwargs = {**base, pair[0]: app, pair[1]: model}
            pks = objects.get(f"{app}.{model}") or [None]
            obj = next((p for p in params if p in _FILL_PARAMS), None)
            variants += [{**kwargs, obj: str(pk)} if obj and pk is not None else kwargs for pk in pks[:1]]
    elif in_path and any(p in OBJECT_PARAMS for p in params):
        pks = objects.get(f"{in_path['app']}.{in_path['model']}") or []
        obj = next(p for p in params if p in _FILL_PARAMS)
        variants += [{**base, obj: str(pk)} for pk in pks[:1]] or [base]
    else:
        variants.append(base)
    return [url for kwargs in variants if (url := _url(route, kwargs))]
