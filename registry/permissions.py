"""Wagtail permission policies for registry models: model permission AND the selector's scope.

Registered with `wagtail.permissions.register_permission_policy` (wagtail_hooks.py), so every Wagtail
code path that asks "may this user act on this instance?" (bulk actions, inspect buttons, choosers, the
listing's action menus) gets the same answer as the selectors in registry.selectors.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Model, QuerySet
from wagtail.permission_policies.base import ModelPermissionPolicy

from .models import Custodian, EmergencyContact, QRCode, Subject
from .selectors import contacts_visible_to, custodians_visible_to, qr_codes_visible_to, subjects_visible_to

SCOPES: dict[type[Model], Callable[..., QuerySet]] = {
    Custodian: custodians_visible_to,
    Subject: subjects_visible_to,
    QRCode: qr_codes_visible_to,
    EmergencyContact: contacts_visible_to,
}


def scope_for(model: type[Model], user) -> QuerySet:
    """The one scope for `model` (KeyError for a model the registry does not scope: fail loudly)."""
    return SCOPES[model](user)


class ScopedModelPermissionPolicy(ModelPermissionPolicy):
    def user_has_permission_for_instance(self, user, action, instance) -> bool:
        if not self.user_has_permission(user, action):
            return False
        return scope_for(self.model, user).filter(pk=instance.pk).exists()

    def user_has_any_permission_for_instance(self, user, actions, instance) -> bool:
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)

    def instances_user_has_any_permission_for(self, user, actions) -> QuerySet:
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return scope_for(self.model, user)

    def instances_user_has_permission_for(self, user, action) -> QuerySet:
        return self.instances_user_has_any_permission_for(user, [action])


def policies() -> list[tuple[type[Model], ScopedModelPermissionPolicy]]:
    return [(model, ScopedModelPermissionPolicy(model)) for model in SCOPES]
