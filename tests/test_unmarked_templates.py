"""Every text a template shows is marked for translation.

Each project template (templates/ and every Keryu app's templates/ dir; not the virtualenv, not tests/) is read
with Django's own template lexer. Text outside {% translate %}, {% blocktranslate %} and comments is put back
together, with every tag and variable replaced by a placeholder, and parsed as HTML: a text node, or one of the
attributes a person reads (title, alt, placeholder, aria-label, a button's value), that still holds a letter is
English nobody can translate. So is a quoted string with letters handed to an include as its title, or shown
through `|default:"..."`. The few exceptions are listed below, each with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.template.base import Lexer, TokenType

ROOT = Path(settings.BASE_DIR)
HOLE = "\ue000"  # stands for a tag or a variable: a private-use character, not a letter
LETTER = re.compile(r"[^\W\d_]")
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label"}
SKIPPED_ELEMENTS = {"style", "script"}
# Texts shown as they are in every language, each with its reason.
ALLOWED = {
    "Keryu": "the brand",
    "K": "the logo's letter (templates/wagtailadmin/base.html)",
    "WhatsApp": "a product name (the template preview's channel heading)",
    "SMS": "the channel's name, the same in Spanish",
    "CSV": "a file format's name (statistics export button)",
    "Excel": "a product name (statistics export button)",
    "PDF": "a file format's name (statistics export button)",
    "English": "the language switch names each language in that language",
    "Español": "the language switch names each language in that language",
    "1A2B3C4D": "an example of a badge code (the short-code field's placeholder)",
    "no-referrer": "a referrer policy (the finder's pages fill base.html's <meta name=referrer> block), not shown",
}
TRANSLATING_BLOCKS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans", "comment": "endcomment"}
INCLUDE_LITERAL = re.compile(r"""\b(title|subtitle)=(["'])(?P<text>.*?)\2""")
DEFAULT_LITERAL = re.compile(r"""\|default:(["'])(?P<text>.*?)\1""")


@dataclass(frozen=True)
class Finding:
    template: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.template}:{self.line}: {self.text!r}"


def project_templates() -> list[Path]:
    """templates/ and the templates/ dir of every app that lives in this repository (not a dependency's)."""
    roots = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    roots += [Path(app.path) / "templates" for app in apps.get_app_configs()]
    found = set()
    for root in roots:
        root = root.resolve()
        if not root.is_dir() or not root.is_relative_to(ROOT) or root.is_relative_to(ROOT / ".venv"):
            continue
        if root.is_relative_to(ROOT / "tests"):
            continue
        found |= {p for p in root.rglob("*") if p.suffix in {".html", ".txt"} and p.is_file()}
    return sorted(found)


def shows_letters(text: str) -> bool:
    text = " ".join(text.replace(HOLE, " ").split())
    return bool(LETTER.search(text)) and text not in ALLOWED


class _VisibleText(HTMLParser):
    """Text nodes and read attributes, with the line of the reassembled source they start on."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_ELEMENTS:
            self._skipping += 1
        attributes = dict(attrs)
        read = set(READ_ATTRIBUTES)
        if tag == "button" or (tag == "input" and attributes.get("type") in {"submit", "button", "reset"}):
            read.add("value")
        for name, value in attrs:
            if name in read and value:
                self.found.append((self.getpos()[0], value))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in SKIPPED_ELEMENTS:
            self._skipping -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_ELEMENTS and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.found.append((self.getpos()[0], data))


def unmarked_texts(source: str, name: str) -> list[Finding]:
    """What `source` shows that no translate/blocktranslate covers."""
    findings: list[Finding] = []
    pieces: list[str] = []
    newlines: list[int] = []  # the template line of each newline kept in the reassembled source
    closing: str | None = None
    for token in Lexer(source).tokenize():
        if closing is not None:
            if token.token_type is TokenType.BLOCK and token.contents.split()[0] == closing:
                closing = None
            continue
        if token.token_type is TokenType.TEXT:
            pieces.append(token.contents)
            newlines += [token.lineno + i for i in range(token.contents.count("\n"))]
            continue
        if token.token_type is TokenType.BLOCK:
            command = token.contents.split()[0]
            closing = TRANSLATING_BLOCKS.get(command)
            if command == "include":
                findings += [
                    Finding(name, token.lineno, m["text"])
                    for m in INCLUDE_LITERAL.finditer(token.contents)
                    if shows_letters(m["text"])
                ]
        if token.token_type in {TokenType.VAR, TokenType.BLOCK}:
            findings += [
                Finding(name, token.lineno, m["text"])
                for m in DEFAULT_LITERAL.finditer(token.contents)
                if shows_letters(m["text"])
            ]
        pieces.append(HOLE)
    parser = _VisibleText()
    parser.feed("".join(pieces))
    parser.close()
    for row, text in parser.found:
        first_letter = LETTER.search(text)
        if first_letter and shows_letters(text):
            row += text[: first_letter.start()].count("\n")  # the line of its first letter
            line = newlines[row - 2] + 1 if row > 1 else 1
            shown = " ".join(text.replace(HOLE, " … ").split()).strip("… ")
            findings.append(Finding(name, line, shown))
    return sorted(findings, key=lambda f: f.line)


def test_the_project_templates_are_found():
    names = {str(p.relative_to(ROOT)) for p in project_templates()}
    assert "templates/home/scan_page.html" in names
    assert "templates/accounts/email/verify_body.txt" in names
    assert not [n for n in names if n.startswith((".venv/", "tests/"))]


def test_every_text_a_template_shows_is_marked_for_translation():
    findings = [
        f for path in project_templates() for f in unmarked_texts(path.read_text(), str(path.relative_to(ROOT)))
    ]
    report = "\n".join(f"- {f}" for f in findings)
    assert not findings, (
        f"{len(findings)} text(s) in templates are not marked for translation: wrap them in {{% translate %}} or "
        f"{{% blocktranslate trimmed %}} (variables as placeholders) and add the Spanish to the catalogue, or, if "
        f"they read the same in every language, add them to ALLOWED with the reason:\n{report}"
    )


# --- The checker itself: each way of hiding English is caught, each way of marking it passes -------------


def _texts(source: str) -> list[str]:
    return [f.text for f in unmarked_texts(source, "t.html")]


def test_the_checker_flags_plain_text_attributes_include_titles_and_defaults():
    source = (
        '{% load i18n %}<h1>Hello {{ name }}</h1><img alt="Photo of {{ name }}" src="{{ url }}">'
        '<input type="submit" value="Send"><button value="x1">{% trans "Go" %}</button>'
        '{% include "header.html" with title="Delete user" %}{{ when|default:"never" }}'
        "{% block title %}Second factor{% endblock %}"
    )
    assert sorted(_texts(source)) == sorted(
        ["Hello", "Photo of", "Send", "x1", "Delete user", "never", "Second factor"]
    )


def test_the_checker_passes_marked_text_comments_code_and_allowed_words():
    source = (
        "{% load i18n %}{% comment %}An English note{% endcomment %}{# another #}"
        "<title>{% block title %}Keryu{% endblock %}</title><style>body { color: red }</style>"
        '<script>let x = "English";</script><p>{% blocktranslate trimmed with n=name %}Hello {{ n }}'
        '{% endblocktranslate %}</p><a href="/admin/" title="{% trans \'Sign in\' %}">{{ url }}</a>'
        '<input type="hidden" name="next" value="{{ next }}"><p class="muted" data-x="a">#{{ pk }} · %</p>'
        '{% include "header.html" with title=_("Delete user") %}{{ when|date:"Y-m-d H:i" }}'
    )
    assert _texts(source) == []
