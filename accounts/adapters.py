"""The few places accounts touches registry.Custodian fields that the registry issue is adding.

Works before and after that merge: fields are set only when the model has them.
"""

from __future__ import annotations

from registry.models import Custodian


def has_field(field: str) -> bool:
    return any(f.name == field for f in Custodian._meta.get_fields())


def custodian_mark(*, custodian: Custodian, **values) -> None:
    fields = {k: v for k, v in values.items() if has_field(k)}
    if fields:
        Custodian.objects.filter(pk=custodian.pk).update(**fields)


def phone_taken(*, e164: str, exclude_user_id: int | None = None) -> bool:
    """Duplicate check by the keyed hash (registry service when present)."""
    from core.encryption import phone_hash

    if exclude_user_id is None:
        try:
            from registry.services import custodian_phone_taken
        except ImportError:
            pass
        else:
            return custodian_phone_taken(e164=e164)
    qs = Custodian.objects.filter(phone_hash=phone_hash(e164))
    if exclude_user_id is not None:
        qs = qs.exclude(user_id=exclude_user_id)
    return qs.exists()


def preferred_channel(custodian: Custodian | None) -> str:
    return getattr(custodian, "preferred_channel", "") or "whatsapp"
