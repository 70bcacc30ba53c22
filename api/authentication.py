"""Authentication classes (kept apart from api.auth, which imports simplejwt's serializers, to avoid an
import cycle through DRF's settings)."""

from __future__ import annotations

from rest_framework.authentication import SessionAuthentication


class VerifiedSessionAuthentication(SessionAuthentication):
    """The admin session, accepted only when it passed the second factor."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, auth = result
        if not (hasattr(user, "is_verified") and user.is_verified()):
            return None
        return user, auth
