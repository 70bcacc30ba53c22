"""What a reply to an alarm message means: the keyword tables, in Spanish and English, and one pure function.

Read by alerts.services.replies. Matching is on whole words, ignoring case and accents ("numero equivocado" is
"Número equivocado"), after a button's payload, which wins when it is one we know. The intents are tried in
the order of INTENTS, most cautious first: "no puedo ir" and "no conozco" contain nothing that acknowledges.
An acknowledging word right after a negation ("not ok") or in a question ("is she ok?") does not count.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Intent(StrEnum):
    ACKNOWLEDGE = "acknowledge"  # "I'm on it": stops the escalation (only a recipient of that alarm)
    CANT_HELP = "cant_help"  # recorded on the timeline; the escalation goes on
    WRONG_NUMBER = "wrong_number"  # the address is flagged and never messaged again; acknowledges nothing
    OTHER = "other"  # anything else: a note on the timeline, answered with the options


# Button payloads (WhatsApp quick replies), upper-cased.
PAYLOADS: dict[str, Intent] = {
    "ACK": Intent.ACKNOWLEDGE,
    "ACKNOWLEDGE": Intent.ACKNOWLEDGE,
    "CANT_HELP": Intent.CANT_HELP,
    "WRONG_NUMBER": Intent.WRONG_NUMBER,
}

# intent -> language -> phrases; tried in this order (see the module's docstring).
INTENTS: dict[Intent, dict[str, tuple[str, ...]]] = {
    Intent.WRONG_NUMBER: {
        "es": ("número equivocado", "numero equivocado", "no conozco", "no lo conozco", "no la conozco"),
        "en": ("wrong number", "wrong person", "don't know this person", "do not know this person"),
    },
    Intent.CANT_HELP: {
        "es": ("no puedo", "no voy", "no podré", "no alcanzo"),
        "en": ("can't", "cant", "cannot", "can not", "unable", "not able", "not coming"),
    },
    Intent.ACKNOWLEDGE: {
        "es": ("voy", "ya voy", "en camino", "recibido", "enterado", "enterada", "ya lo vi", "ok", "okey", "vale"),
        "en": ("on my way", "coming", "received", "got it", "ok", "okay"),
    },
}
# A word that turns the acknowledging word right after it around ("not ok").
NEGATIONS = frozenset({"no", "not", "nunca", "never", "don't", "dont"})
CLAUSE_ENDS = frozenset({".", "!", "?", ";"})

_TOKENS = re.compile(r"[a-z0-9']+|[^\sa-z0-9']")


def words(text: str) -> list[str]:
    """Lower-case words without accents, apostrophes kept ("can't"), each other sign a token of its own so a
    phrase never matches across a comma."""
    plain = unicodedata.normalize("NFKD", text or "").translate({0x2019: "'", 0x2018: "'", 0x60: "'"})
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return _TOKENS.findall(plain)


def _find(said: list[str], phrase: tuple[str, ...]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(said) - n + 1) if tuple(said[i : i + n]) == phrase]


@dataclass(frozen=True)
class Reading:
    intent: Intent
    # The language of the phrase that decided it ("es" or "en"); "" when none did, or it is both ("ok").
    language: str


def _phrases() -> list[tuple[Intent, str, tuple[str, ...]]]:
    table = [
        (intent, language, tuple(words(phrase)))
        for intent, by_language in INTENTS.items()
        for language, phrases in by_language.items()
        for phrase in phrases
    ]
    languages: dict[tuple[str, ...], set[str]] = {}
    for _, language, phrase in table:
        languages.setdefault(phrase, set()).add(language)
    return [(intent, language if len(languages[phrase]) == 1 else "", phrase) for intent, language, phrase in table]


_PHRASES = _phrases()


def _language(said: list[str]) -> str:
    return next((language for _, language, phrase in _PHRASES if language and _find(said, phrase)), "")


def reply_read(text: str, payload: str = "") -> Reading:
    """The intent of a reply (its text and, for a button, its payload) and the language it was written in."""
    said = words(text)
    by_payload = PAYLOADS.get((payload or "").strip().upper())
    if by_payload is not None:
        return Reading(by_payload, _language(said))
    for intent, language, phrase in _PHRASES:
        for start in _find(said, phrase):
            if intent == Intent.ACKNOWLEDGE and _doubtful(said, start, start + len(phrase)):
                continue
            return Reading(intent, language)
    return Reading(Intent.OTHER, "")


def _doubtful(said: list[str], start: int, end: int) -> bool:
    """Negated ("not ok"), or part of a question ("is she ok?", "¿voy?")."""
    if start and said[start - 1] in NEGATIONS:
        return True
    ends = (t for t in said[end:] if t in CLAUSE_ENDS)
    return next(ends, "") == "?"


def intent_of(text: str, payload: str = "") -> Intent:
    """What a reply means (reply_read without the language)."""
    return reply_read(text, payload).intent
