"""Editor-kept templates: unknown variables refused, drafts never sent, the published revision is, preview."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from messaging.models import MessageTemplate, MetaApproval, MetaTemplateStatus
from messaging.services import message_compose, template_render

pytestmark = pytest.mark.django_db

BASE = "/admin/snippets/messaging/messagetemplate"


def _form(**overrides) -> dict:
    data = {
        "name": "Lost (en, SMS)",
        "kind": "LOST",
        "language": "en",
        "channel": "twilio_sms",
        "subject_line": "",
        "content": "LOST {subject_name} at {location}. Ack: {ack_url}",
        "is_active": "on",
        "whatsapp_template_name": "",
        "whatsapp_language_code": "",
        "whatsapp_parameters": "",
        "twilio_content_sid": "",
    }
    return data | overrides


def test_an_unknown_variable_is_refused_on_save(client, editor):
    client.force_login(editor)
    response = client.post(f"{BASE}/add/", _form(content="Hello {subject_name}, your {password}"))
    assert response.status_code == 200
    assert "Unknown variables: password" in response.content.decode()
    assert not MessageTemplate.objects.filter(name="Lost (en, SMS)").exists()


def test_model_clean_refuses_unknown_variables_and_bad_parameters():
    template = MessageTemplate(name="x", kind="VERIFICATION_CODE", language="en", content="{code} {subject_name}")
    with pytest.raises(ValidationError, match="subject_name"):
        template.full_clean()
    template = MessageTemplate(
        name="x", kind="LOST", language="en", content="{subject_name}", whatsapp_parameters="nope"
    )
    with pytest.raises(ValidationError, match="nope"):
        template.full_clean()


def test_a_draft_is_never_sent_and_the_published_revision_is(client, editor):
    client.force_login(editor)
    response = client.post(f"{BASE}/add/", _form())  # "Save draft" is the default action
    assert response.status_code == 302
    template = MessageTemplate.objects.get(name="Lost (en, SMS)")
    assert not template.live
    context = {"subject_name": "Sofía", "location": "Parque", "ack_url": "https://k/ack/1"}
    rendered = template_render(kind="LOST", language="en", channel="twilio_sms", context=context)
    assert rendered.template != template and "LOST Sofía" not in rendered.body

    response = client.post(f"{BASE}/edit/{template.pk}/", _form(**{"action-publish": "1"}))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.live
    message = message_compose(kind="LOST", language="en", channel="twilio_sms", to="+525512345678", context=context)
    assert message.template == template and message.template_revision == template.live_revision
    assert message.content == "LOST Sofía at Parque. Ack: https://k/ack/1"

    # A new draft on a live template changes nothing that is sent until it is published.
    client.post(f"{BASE}/edit/{template.pk}/", _form(content="CHANGED {subject_name}"))
    again = message_compose(kind="LOST", language="en", channel="twilio_sms", to="+525512345678", context=context)
    assert again.content.startswith("LOST Sofía") and again.template_revision == message.template_revision


def test_preview_renders_with_sample_data(client, editor):
    client.force_login(editor)
    template = MessageTemplate.objects.get(kind="LOST", language="es", channel="")
    url = f"{BASE}/preview/{template.pk}/"
    data = _form(language="es", content="Hola {subject_name} en {location}", whatsapp_template_name="", channel="")
    assert client.post(url, data).json()["is_valid"]
    response = client.get(url)
    assert response.status_code == 200
    assert "Hola Sofía en Parque México, Condesa" in response.content.decode()


def test_defaults_include_the_acknowledgement_link_and_stay_within_the_allowed_variables():
    from messaging.defaults import DEFAULTS, allowed_variables
    from messaging.models import template_variables

    for (kind, _language), (subject, content) in DEFAULTS.items():
        assert template_variables(subject + content) <= allowed_variables(kind), kind
        if kind in ("TEST", "INJURED", "LOST", "CONTACT"):
            assert "{ack_url}" in content


def test_shipped_defaults_are_live_templates_with_the_spec_whatsapp_template():
    template = MessageTemplate.objects.get(kind="LOST", language="es", channel="")
    assert template.live
    assert template.whatsapp_template_name == "qr_template_on_m"
    assert template.parameter_names == ["subject_name", "timestamp"]


def test_a_meta_template_that_is_not_approved_is_never_used_on_whatsapp():
    context = {"subject_name": "Sofía", "timestamp": "18:30"}
    blocked = template_render(kind="LOST", language="es", channel="meta_whatsapp", context=context)
    assert "blocked" in blocked.provider_template
    MetaTemplateStatus.objects.create(name="qr_template_on_m", language_code="es_MX", status=MetaApproval.APPROVED)
    approved = template_render(kind="LOST", language="es", channel="meta_whatsapp", context=context)
    assert approved.provider_template == {
        "name": "qr_template_on_m",
        "language": "es_MX",
        "parameters": ["Sofía", "18:30"],
        # Without an alarm's signed references (a sample or test send): the bare intents and a sample suffix.
        "buttons": ["ACK", "CANT_HELP", "WRONG_NUMBER", "sample"],
    }


def test_missing_alarm_variables_render_as_a_dash_not_an_error():
    rendered = template_render(kind="LOST", language="en", channel="twilio_sms", context={"subject_name": "Sofía"})
    assert "Acknowledge: -" in rendered.body and "\n" not in rendered.body


def test_editors_listing_flags_unapproved_meta_templates(client, editor):
    client.force_login(editor)
    html = client.get(f"{BASE}/").content.decode()
    assert "not used on WhatsApp" in html


def test_with_a_workflow_an_editors_change_goes_live_only_once_staff_approve(client, editor, staff):
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import GroupApprovalTask, Workflow, WorkflowContentType, WorkflowTask

    task = GroupApprovalTask.objects.create(name="Staff review")
    task.groups.set([Group.objects.get(name="Staff")])
    workflow = Workflow.objects.create(name="Message templates")
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowContentType.objects.create(
        workflow=workflow, content_type=ContentType.objects.get_for_model(MessageTemplate)
    )
    client.force_login(editor)
    assert client.post(f"{BASE}/add/", _form(**{"action-submit": "1"})).status_code == 302
    template = MessageTemplate.objects.get(name="Lost (en, SMS)")
    assert not template.live and template.workflow_in_progress
    context = {"subject_name": "Sofía", "location": "Parque", "ack_url": "-"}
    assert template_render(kind="LOST", language="en", channel="twilio_sms", context=context).template != template

    state = template.current_workflow_task_state
    client.force_login(staff)
    response = client.post(f"{BASE}/workflow/action/{template.pk}/approve/{state.pk}/", {"comment": ""})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.live
    assert template_render(kind="LOST", language="en", channel="twilio_sms", context=context).template == template
