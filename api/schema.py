ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` for request-level errors; otherwise field name -> list of messages.",
    "additionalProperties": True,
}
ERRORS = {
    "400": "Invalid input: field errors as JSON.",
    "401": "Not authenticated.",
    "403": "Not allowed for this role.",
    "404": "Not found (or not yours).",
    "429": "Too many requests; see Retry-After.",
}


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation can answer these errors, so say so."""
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
                )
    return result


def only_keryu_api(endpoints):
    """drf-spectacular preprocessing hook: document /api/ only, not Wagtail's own admin API."""
    return [e for e in endpoints if e[0].startswith("/api/") and not e[0].startswith("/api/schema")]


from drf_spectacular.authentication import SessionScheme  # noqa: E402


class VerifiedSessionScheme(SessionScheme):
    """Document the OTP-verified admin session as the cookie session it is."""

    target_class = "api.authentication.VerifiedSessionAuthentication"
