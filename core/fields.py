"""Model field factories for what several apps declare alike."""

from __future__ import annotations

from typing import Any, TypeVar, overload

from django.db import models
from django_stubs_ext import StrOrPromise

_M = TypeVar("_M", bound=models.Model)


@overload
def optional_link(
    to: type[_M], *, verbose_name: StrOrPromise, related_name: str | None = ...
) -> models.ForeignKey[_M | None, _M | None]: ...
@overload
def optional_link(
    to: str, *, verbose_name: StrOrPromise, related_name: str | None = ...
) -> models.ForeignKey[Any, Any]: ...
def optional_link(
    to: type[models.Model] | str, *, verbose_name: StrOrPromise, related_name: str | None = "+"
) -> models.ForeignKey[Any, Any]:
    """A link a record keeps for reference: optional, and emptied rather than cascaded when what it points to is
    deleted, so the record outlives it (an attempt its recipient, a notice its message). No way back by default."""
    return models.ForeignKey(
        to, on_delete=models.SET_NULL, null=True, blank=True, related_name=related_name, verbose_name=verbose_name
    )
