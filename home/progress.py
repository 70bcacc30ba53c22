"""The finder's page in words: alerts.services.finder_state's state as the headline, the steps and the note,
in the active language. The page renders it and its status JSON returns it, so both always say the same."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from alerts.services.finder_state import FinderState, FinderStep, role_name


def _headline(state: FinderState, emergency_number: str) -> tuple[str, str]:
    role = role_name(state.role)
    step = state.state
    if step == FinderStep.RESOLVED:
        return _("This alarm is closed. Thank you for your help."), _("Closed by %(role)s.") % {"role": role}
    if step == FinderStep.ALREADY_KNOWN:
        if state.told:
            return _("Thank you. The family already knows and has been told of your report."), ""
        return _("Thank you. The family already knows and is being told of your report."), ""
    if step == FinderStep.ACKNOWLEDGED:
        return _("Acknowledged by %(role)s: they know and are on it.") % {"role": role}, ""
    if step == FinderStep.UNREACHED:
        return _("We could not reach the family yet."), _(
            "Keryu's team has been alerted and is trying too. If anyone is in danger, call %(emergency)s."
        ) % {"emergency": emergency_number}
    if step == FinderStep.SEEN:
        return _("Thank you. The message was seen by %(role)s.") % {"role": role}, ""
    if step == FinderStep.DELIVERED:
        return _("Thank you. The message was delivered to %(role)s.") % {"role": role}, ""
    return _("Thank you. The family is being notified now."), ""


def _step(step_id: str, label: str, done: bool) -> dict[str, Any]:
    return {"id": step_id, "label": label, "done": done}


def _steps(state: FinderState) -> list[dict[str, Any]]:
    """The steps shown, ids stable for the page's script: a step done names the role that did it."""
    steps = [_step("received", _("Report received"), True)]
    if state.state == FinderStep.ALREADY_KNOWN:
        steps.append(_step("known", _("The family already knows"), True))
    else:
        steps.append(_step("notified", _("The family is being contacted"), state.contacting))
        delivered = role_name(state.delivered_role)
        if state.delivered_role:
            steps.append(_step("delivered", _("Message delivered to %(role)s") % {"role": delivered}, True))
        else:
            steps.append(_step("delivered", _("Message delivered"), False))
        if state.seen_role:
            steps.append(_step("seen", _("Seen by %(role)s") % {"role": role_name(state.seen_role)}, True))
        if state.acknowledged:
            by = role_name(state.acknowledged_role)
            steps.append(_step("acknowledged", _("Acknowledged by %(role)s") % {"role": by}, True))
        else:
            steps.append(_step("acknowledged", _("Acknowledged"), False))
    if state.told is not None:
        if state.told:
            steps.append(_step("told", _("Your report was passed on to the family"), True))
        else:
            steps.append(_step("told", _("Your report is being passed on to the family"), False))
    if state.resolved:
        steps.append(_step("resolved", _("Closed by %(role)s") % {"role": role_name(state.resolved_role)}, True))
    return steps


def finder_progress(*, state: FinderState, emergency_number: str) -> dict[str, Any]:
    """What the finder's page shows, as data (its JSON) and for its template."""
    headline, detail = _headline(state, emergency_number)
    note_by = role_name(state.acknowledged_role)
    return {
        "state": state.state.value,
        "headline": headline,
        "detail": detail,
        "steps": _steps(state),
        "note": state.note,
        "note_prefix": _("Message from %(role)s:") % {"role": note_by} if state.note else "",
        "final": state.final,
    }
