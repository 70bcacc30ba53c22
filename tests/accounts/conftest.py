from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from accounts import services
from messaging.models import Message

PASSWORD = "violet-harbour-lantern-42"


@pytest.fixture
def signup_data() -> dict[str, str]:
    return {
        "first_name": "Carla",
        "last_name": "Campos",
        "email": "carla@example.com",
        "password": PASSWORD,
        "phone": "55 1234 5678",
        "language": "es",
    }


@pytest.fixture
def pending_user(db) -> User:
    return services.registration_create(
        first_name="Carla",
        last_name="Campos",
        email="carla@example.com",
        password=PASSWORD,
        e164="+525512345678",
    )


def last_code(user: User) -> str:
    """The code as the development channel recorded it (the only place it exists in clear)."""
    import re

    message = Message.objects.filter(owner=user).order_by("-pk").first()
    return re.search(r"\b(\d{6})\b", message.content).group(1)
