"""The start-up check refuses a console that skips core.scoping: `manage.py check` (and so `migrate`
and `runserver`) fails on an unscoped snippet viewset, an unscoped /ops/ admin of family data, or a record
that can be written by hand."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from unfold.admin import ModelAdmin
from wagtail.snippets.views.snippets import SnippetViewSet

from alerts.models import Alarm, NotificationAttempt, ReachabilityCheck
from core.scoping import ScopedAdminMixin, SharedSnippetViewSet
from core.scoping_checks import check_consoles_are_scoped, holds_family_data
from messaging.models import MessageTemplate


def _ids() -> set[str]:
    return {e.id for e in check_consoles_are_scoped()}


def test_the_project_passes():
    assert check_consoles_are_scoped() == []


def test_family_data_is_found_through_foreign_keys():
    assert holds_family_data(NotificationAttempt)  # attempt -> alarm -> subject
    assert not holds_family_data(MessageTemplate)


def test_a_plain_snippet_viewset_fails_start_up(monkeypatch):
    monkeypatch.setattr(ReachabilityCheck, "snippet_viewset", SnippetViewSet(model=ReachabilityCheck))
    assert "keryu.E001" in _ids()
    with pytest.raises(SystemCheckError, match=r"keryu\.E001"):
        call_command("check")


def test_family_data_cannot_be_declared_shared(monkeypatch):
    monkeypatch.setattr(ReachabilityCheck, "snippet_viewset", SharedSnippetViewSet(model=ReachabilityCheck))
    assert "keryu.E002" in _ids()


@pytest.fixture
def registered():
    added = []

    def register(model, admin_class):
        admin.site.register(model, admin_class)
        added.append(model)

    yield register
    for model in added:
        admin.site.unregister(model)


def test_an_unscoped_ops_admin_of_family_data_fails_start_up(registered):
    registered(NotificationAttempt, ModelAdmin)
    assert "keryu.E006" in _ids()


def test_a_record_writable_in_ops_fails_start_up(registered):
    class ForgeableAlarmAdmin(ScopedAdminMixin, ModelAdmin):
        def has_add_permission(self, request, *args) -> bool:
            return True

    registered(Alarm, ForgeableAlarmAdmin)
    assert "keryu.E007" in _ids()
