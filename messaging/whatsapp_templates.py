"""The WhatsApp template definitions Keryu ships: what staff submit to Meta (Graph API `message_templates`) and to
Twilio (Content API), and what the sending side fills in.

Pure data and builders, no database: the management command `templates_submit`, the /ops/ action, the adapters
and the local fakes (testkit.fakes) all read these, so a definition is written once.

The alarm kinds (TEST, INJURED, LOST, CONTACT, UPDATE, INACTIVE_SCAN) share the spec's `qr_template_on_m`, one per
language: the body names the subject ({{1}}) and the time ({{2}}); three quick-reply buttons carry the reply
intents ("on my way", "can't", "wrong number") with a signed payload per message, and a URL button opens the
acknowledgement page (its dynamic suffix is the signed acknowledgement token). Quick-reply payloads and the URL
suffix are given per message (OutboundMessage.buttons); the labels are fixed here and approved by Meta.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

# Which reply intent each quick-reply button stands for (alerts.intents.PAYLOADS reads the same words).
BUTTON_INTENTS: tuple[str, ...] = ("ACK", "CANT_HELP", "WRONG_NUMBER")
URL_BUTTON = "URL"
# What the sample and test sends put where a signed payload / ack token would go.
SAMPLE_URL_SUFFIX = "sample"

# Meta's template categories. An alarm message is UTILITY; Meta may recategorise one (template_category_update).
UTILITY = "UTILITY"
AUTHENTICATION = "AUTHENTICATION"
MARKETING = "MARKETING"


@dataclass(frozen=True)
class Button:
    kind: str  # "QUICK_REPLY" or "URL"
    text: str
    intent: str = ""  # QUICK_REPLY: one of BUTTON_INTENTS
    url: str = ""  # URL: with {{1}} where the per-message suffix goes (relative to KERYU_PUBLIC_BASE_URL)


@dataclass(frozen=True)
class TemplateDefinition:
    name: str
    language: str  # Meta's code (es_MX, en_US)
    category: str
    body: str  # with {{1}}, {{2}}, ...
    parameters: tuple[str, ...]  # the Keryu variables filling {{1}}, {{2}}, ... in order
    example: tuple[str, ...]
    buttons: tuple[Button, ...] = ()
    kinds: tuple[str, ...] = field(default=())  # the message kinds that send it

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.language)

    @property
    def quick_replies(self) -> tuple[Button, ...]:
        return tuple(b for b in self.buttons if b.kind == "QUICK_REPLY")

    @property
    def url_button(self) -> Button | None:
        return next((b for b in self.buttons if b.kind == URL_BUTTON), None)

    def meta_definition(self, *, base_url: str) -> dict[str, Any]:
        """The body of Meta's `POST /{waba-id}/message_templates`."""
        components: list[dict[str, Any]] = [
            {"type": "BODY", "text": self.body, "example": {"body_text": [list(self.example)]}}
        ]
        if self.buttons:
            buttons: list[dict[str, Any]] = []
            for button in self.buttons:
                if button.kind == URL_BUTTON:
                    url = base_url.rstrip("/") + button.url
                    buttons.append(
                        {
                            "type": "URL",
                            "text": button.text,
                            "url": url,
                            "example": [url.replace("{{1}}", SAMPLE_URL_SUFFIX)],
                        }
                    )
                else:
                    buttons.append({"type": "QUICK_REPLY", "text": button.text})
            components.append({"type": "BUTTONS", "buttons": buttons})
        return {"name": self.name, "language": self.language, "category": self.category, "components": components}

    def twilio_definition(self, *, base_url: str) -> dict[str, Any]:
        """The body of Twilio's Content API `POST /v1/Content` (twilio/card: body, quick replies, a URL).

        Variables: {{1}}.. the body's, then one per quick reply (its payload id), then the URL suffix."""
        n = len(self.parameters)
        variables = {str(i): v for i, v in enumerate(self.example, start=1)}
        actions: list[dict[str, str]] = []
        for button in self.buttons:
            n += 1
            if button.kind == URL_BUTTON:
                actions.append(
                    {
                        "type": "URL",
                        "title": button.text,
                        "url": base_url.rstrip("/") + button.url.replace("{{1}}", f"{{{{{n}}}}}"),
                    }
                )
                variables[str(n)] = SAMPLE_URL_SUFFIX
            else:
                actions.append({"type": "QUICK_REPLY", "title": button.text, "id": f"{{{{{n}}}}}"})
                variables[str(n)] = button.intent
        return {
            "friendly_name": f"{self.name}_{self.language.lower()}",
            "language": self.language.split("_")[0],
            "variables": variables,
            "types": {"twilio/card": {"title": self.body, "actions": actions}},
        }


ALARM_KINDS = ("TEST", "INJURED", "LOST", "CONTACT", "UPDATE", "INACTIVE_SCAN")
# alerts.urls "alerts_acknowledge" (tests/messaging/test_provider_rules.py checks they agree).
ACK_URL = "/alerts/ack/{{1}}/"
# The languages each template is submitted in, Spanish first (Meta's codes).
ES = "es_MX"
EN = "en_US"


def _in_each_language(
    name: str,
    *,
    parameters: tuple[str, ...],
    kinds: tuple[str, ...],
    body: dict[str, str],
    example: dict[str, tuple[str, ...]],
    buttons: tuple[Button, ...] = (),
    button_texts: dict[str, tuple[str, ...]] | None = None,
) -> tuple[TemplateDefinition, ...]:
    """One template in each language of `body`: only the words differ (the body, the example, the buttons' labels,
    given in `buttons`' order); its name, category, parameters, buttons' kinds and kinds are the same in all."""
    return tuple(
        TemplateDefinition(
            name=name,
            language=language,
            category=UTILITY,
            body=text,
            parameters=parameters,
            example=example[language],
            buttons=tuple(
                replace(button, text=label)
                for button, label in zip(buttons, (button_texts or {}).get(language, ()), strict=True)
            ),
            kinds=kinds,
        )
        for language, text in body.items()
    )


DEFINITIONS: tuple[TemplateDefinition, ...] = (
    *_in_each_language(
        "qr_template_on_m",
        parameters=("subject_name", "timestamp"),
        kinds=ALARM_KINDS,
        body={
            ES: (
                "🚨 Keryu: alguien escaneó la credencial de {{1}} a las {{2}}. Abre la alarma para ver dónde y los "
                "detalles, o responde con un botón."
            ),
            EN: (
                "🚨 Keryu: someone scanned {{1}}'s badge at {{2}}. Open the alarm to see where and the details, or "
                "answer with a button."
            ),
        },
        example={ES: ("Sofía", "2026-11-21 18:30"), EN: ("Sofía", "2026-11-21 18:30")},
        # Labelled per language below.
        buttons=(
            Button("QUICK_REPLY", "", intent="ACK"),
            Button("QUICK_REPLY", "", intent="CANT_HELP"),
            Button("QUICK_REPLY", "", intent="WRONG_NUMBER"),
            Button(URL_BUTTON, "", url=ACK_URL),
        ),
        button_texts={
            ES: ("Voy en camino", "No puedo", "Número equivocado", "Ver la alarma"),
            EN: ("On my way", "I can't", "Wrong number", "Open the alarm"),
        },
    ),
    *_in_each_language(
        "keryu_monthly_check",
        parameters=("recipient_name", "subject_name", "role"),
        kinds=("DRILL",),
        body={
            ES: (
                "Hola {{1}}: esta es la prueba mensual de Keryu para {{2}}. No hay ninguna emergencia. Estás "
                "registrado como {{3}}. Responde OK para confirmar que te llegó."
            ),
            EN: (
                "Hello {{1}}: this is Keryu's monthly check for {{2}}. There is no emergency. You are listed as "
                "{{3}}. Reply OK to confirm this reached you."
            ),
        },
        example={
            ES: ("Abuela Rosa", "Sofía", "un contacto de emergencia"),
            EN: ("Grandma Rosa", "Sofía", "an emergency contact"),
        },
    ),
    *_in_each_language(
        "keryu_check_flagged",
        parameters=("recipients",),
        kinds=("DRILL_FLAGGED",),
        body={
            ES: "La prueba mensual de Keryu no pudo llegar a {{1}}. Revisa sus datos en Keryu.",
            EN: "Keryu's monthly check could not reach {{1}}. Please check their details in Keryu.",
        },
        example={ES: ("Abuela Rosa (WhatsApp)",), EN: ("Grandma Rosa (WhatsApp)",)},
    ),
)
_BY_KEY: dict[tuple[str, str], TemplateDefinition] = {d.key: d for d in DEFINITIONS}


def definition_for(name: str, language: str) -> TemplateDefinition | None:
    return _BY_KEY.get((name, language))


def expected_category(name: str, language: str) -> str:
    """The category a shipped template was submitted under ("" for one Keryu does not ship)."""
    definition = definition_for(name, language)
    return definition.category if definition else ""
