"""Errors as JSON with field messages, including Django ValidationErrors raised by services."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.views import exception_handler


def handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = serializers.ValidationError(detail)
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # Always an object, as the schema says: a bare list of messages becomes non_field_errors.
        response.data = {"non_field_errors": response.data}
    return response
