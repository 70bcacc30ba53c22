"""Every string Keryu's Python code shows to users is marked for translation, and the consoles speak Spanish.

Two checks, one from the source and one from the pages:

- An `ast` walk of the apps flags string literals (and f-strings with literal words) in the places whose text
  reaches a screen: model and field names, help texts, form labels, choice labels, menu labels, panel headings,
  column labels, admin action descriptions and fieldset titles, flash messages, `ValidationError` texts,
  HTML built in Python, the API's error details, the badge PDF. A model field or form field with no
  `verbose_name`/`label` is flagged too: Django would show its attribute name, in English, to everyone. So is a
  model with no `verbose_name` and `verbose_name_plural`, an app with no `verbose_name`, and a `TextChoices`
  member with no label (Django derives an English one from the member name).
- Rendered: a Spanish custodian, Spanish staff and a Spanish editor open the consoles' main pages; the text
  of their menus, headings, column headings and labels must contain none of the English names the models,
  fields and choices have when English is active (except names that are the same in both languages).

The templates' own text is checked by tests/test_unmarked_templates.py.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.text import capfirst

ROOT = Path(settings.BASE_DIR)
APPS = ["accounts", "alerts", "api", "core", "home", "keryu_site", "messaging", "registry"]
SKIP_PARTS = {"migrations", "tests", "management"}  # management commands speak to operators, in English

# Keyword arguments and class attributes whose text reaches a screen.
TEXT_KWARGS = {
    "verbose_name",
    "verbose_name_plural",
    "help_text",
    "label",
    "menu_label",
    "empty_label",
    "description",
    "short_description",
    "heading",
    "page_title",
    "header_title",
    "add_item_label",
}
TEXT_ATTRIBUTES = {
    "verbose_name",
    "verbose_name_plural",
    "menu_label",
    "empty_label",
    "short_description",
    "page_title",
    "header_title",
    "help_text",
    "label",  # a channel adapter's label; an AppConfig's `label` is an identifier and is not read
}
# Calls whose first argument is shown: Django and DRF validation errors, DRF's errors with a detail.
# A label that names a send in the logs, not on a screen.
NOT_SHOWN_CALLS = {"message_send_first", "claimed_row_text", "custodian_message_send"}
FIRST_ARG_CALLS = {"ValidationError", "AuthenticationFailed", "NotAuthenticated", "ParseError", "Throttled"}
# Dictionary keys whose value titles a page: admin views' context, Unfold's settings.
TITLE_KEYS = {"title", "SITE_TITLE", "SITE_HEADER", "SITE_SUBHEADER"}
TITLE_FILES = ("admin.py", "views.py", "viewsets.py", "wagtail_hooks.py", "settings/base.py")
MESSAGE_LEVELS = {"debug", "info", "success", "warning", "error"}
MODEL_FIELD = re.compile(r"^(Encrypted\w*Field|\w*Field|ForeignKey|OneToOneField|ManyToManyField|ParentalKey)$")
# Model fields nobody sees: not editable, never listed or inspected (hashes, bookkeeping).
RELATIONS = {"ForeignKey", "OneToOneField", "ManyToManyField", "ParentalKey", "ParentalManyToManyField"}

# Literals that are shown as they are, on purpose.
# A language is named in its own language wherever one is picked (as Django's own language selector does).
ENDONYMS = {"Español", "English"}
# (path, text) -> why.
ALLOWED = {
    # The badge speaks to a finder of either language, whatever the custodian's: both are printed.
    ("registry/badges.py", "Si me encuentras,"): "the badge is bilingual for the finder",
    ("registry/badges.py", "escanéame"): "the badge is bilingual for the finder",
    ("registry/badges.py", "If found, scan me"): "the badge is bilingual for the finder",
}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}: {self.text!r}"


def _has_words(text: str) -> bool:
    return bool(re.search(r"[A-Za-zÀ-ÿ]{2,}", text))


def _literal_text(node: ast.AST | None) -> str | None:
    """The visible text of a string literal or an f-string's literal parts; None for anything else (a call to
    gettext, a name, an attribute), which is assumed marked or computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        left, right = _literal_text(node.left), _literal_text(node.right)
        return None if left is None and right is None else (left or "") + (right or "")
    return None


def _visible_html_text(markup: str) -> str:
    """Text of an HTML snippet built in Python, without its tags and `{}` placeholders."""
    return re.sub(r"\{[^}]*\}", " ", re.sub(r"<[^>]*>", " ", markup))


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _dotted(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return f"{_dotted(func.value)}.{func.attr}"
    return _name(func)


def _base_names(cls: ast.ClassDef) -> list[str]:
    return [_name(base) for base in cls.bases]


class _Walker(ast.NodeVisitor):
    def __init__(self, path: str):
        self.path = path
        self.found: list[Finding] = []
        self.classes: list[ast.ClassDef] = []

    def flag(self, node: ast.AST, what: str, text: str | None) -> None:
        if text is None or not _has_words(text) or text in ENDONYMS or (self.path, text) in ALLOWED:
            return
        self.found.append(Finding(self.path, getattr(node, "lineno", 0), what, text))

    # --- classes: choices, models' Meta, apps, admin fieldsets, text attributes ---

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = _base_names(node)
        if any(b.endswith("Choices") for b in bases):
            self._choices(node)
        if "AppConfig" in bases or any(b.endswith("AppConfig") for b in bases):
            if not any(self._assigns(stmt, "verbose_name") for stmt in node.body):
                self.flag(node, "app without verbose_name", node.name)
        if self.path.endswith("models.py") and self._is_model(node):
            self._model(node)
        self.classes.append(node)
        self.generic_visit(node)
        self.classes.pop()

    @staticmethod
    def _assigns(stmt: ast.stmt, name: str) -> bool:
        return isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)

    def _is_model(self, node: ast.ClassDef) -> bool:
        fields = [s for s in node.body if isinstance(s, ast.Assign) and isinstance(s.value, ast.Call)]
        return any(MODEL_FIELD.match(_name(s.value.func)) for s in fields) or any(
            isinstance(s, ast.ClassDef) and s.name == "Meta" for s in node.body
        )

    def _model(self, node: ast.ClassDef) -> None:
        meta = next((s for s in node.body if isinstance(s, ast.ClassDef) and s.name == "Meta"), None)
        abstract = meta is not None and any(self._assigns(s, "abstract") for s in meta.body)
        # Wagtail pages are named by their page type, in the page explorer's own terms.
        if not abstract and "Page" not in _base_names(node):
            for name in ("verbose_name", "verbose_name_plural"):
                if meta is None or not any(self._assigns(s, name) for s in meta.body):
                    self.flag(node, f"model without Meta.{name}", node.name)
        for stmt in node.body:
            if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)):
                continue
            call, kind = stmt.value, _name(stmt.value.func)
            if not MODEL_FIELD.match(kind):
                continue
            named = any(k.arg == "verbose_name" for k in call.keywords) or (
                kind not in RELATIONS and call.args and not isinstance(call.args[0], ast.Starred)
            )
            if not named:
                target = stmt.targets[0]
                self.flag(stmt, "model field without verbose_name", getattr(target, "id", "?"))
            elif kind not in RELATIONS and call.args:
                self.flag(call.args[0], "field verbose_name", _literal_text(call.args[0]))

    def _choices(self, node: ast.ClassDef) -> None:
        for stmt in node.body:
            if not (isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name)):
                continue
            member = stmt.targets[0].id
            if not member.isupper():
                continue
            value = stmt.value
            if isinstance(value, ast.Tuple) and len(value.elts) >= 2:
                self.flag(value.elts[-1], f"choice label ({node.name}.{member})", _literal_text(value.elts[-1]))
            else:
                self.flag(stmt, f"choice without a label ({node.name}.{member})", member.replace("_", " ").title())

    def visit_Assign(self, node: ast.Assign) -> None:
        if self.classes and not any(b.endswith("AppConfig") for b in _base_names(self.classes[-1])):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in TEXT_ATTRIBUTES:
                    self.flag(node, target.id, _literal_text(node.value))
                if isinstance(target, ast.Name) and target.id == "fieldsets":
                    self._fieldsets(node.value)
                if isinstance(target, ast.Name) and "LABEL" in target.id.upper() and isinstance(node.value, ast.Dict):
                    for value in node.value.values:
                        self.flag(value, target.id, _literal_text(value))
        self.generic_visit(node)

    def _fieldsets(self, value: ast.AST) -> None:
        if isinstance(value, (ast.Tuple, ast.List)):
            for item in value.elts:
                if isinstance(item, ast.Tuple) and item.elts:
                    self.flag(item.elts[0], "fieldset title", _literal_text(item.elts[0]))

    def visit_Dict(self, node: ast.Dict) -> None:
        if self.path.endswith(TITLE_FILES):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value in TITLE_KEYS:
                    self.flag(value, f"page title ({key.value})", _literal_text(value))
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        """A model's name for one record (`__str__`) is what listings, choosers and breadcrumbs show. And a
        function that both marks a string with `_()` and uses `_` as a throwaway name breaks at run time."""
        own = [n for n in ast.walk(node) if not isinstance(n, (ast.ListComp, ast.SetComp, ast.GeneratorExp))]
        if any(isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store) for n in own) and any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_" for n in own
        ):
            self.found.append(Finding(self.path, node.lineno, "`_` shadows gettext in", node.name))
        if node.name == "__str__" and self.path.endswith("models.py"):
            for ret in ast.walk(node):
                if isinstance(ret, ast.Return) and isinstance(ret.value, ast.JoinedStr):
                    self.flag(ret, "__str__", _literal_text(ret.value))
        self.generic_visit(node)

    # --- calls: keyword texts, messages, errors, HTML, form fields, panels, the PDF ---

    def visit_Call(self, node: ast.Call) -> None:
        name, dotted = _name(node.func), _dotted(node.func)
        for keyword in [] if name in NOT_SHOWN_CALLS else node.keywords:
            if keyword.arg in TEXT_KWARGS:
                self.flag(keyword.value, keyword.arg, _literal_text(keyword.value))
            if keyword.arg == "choices" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                for item in keyword.value.elts:
                    if isinstance(item, ast.Tuple) and len(item.elts) == 2:
                        self.flag(item.elts[1], "choice label", _literal_text(item.elts[1]))
        if dotted.startswith("messages.") and name in MESSAGE_LEVELS and len(node.args) >= 2:
            self.flag(node.args[1], f"messages.{name}", _literal_text(node.args[1]))
        if name == "add_message" and len(node.args) >= 3:
            self.flag(node.args[2], "messages.add_message", _literal_text(node.args[2]))
        if name in FIRST_ARG_CALLS and node.args:
            self.flag(node.args[0], name, _literal_text(node.args[0]))
        if name == "add_error" and len(node.args) >= 2:
            self.flag(node.args[1], "add_error", _literal_text(node.args[1]))
        if name in {"format_html", "mark_safe"} and node.args:
            text = _literal_text(node.args[0])
            self.flag(node.args[0], name, _visible_html_text(text) if text is not None else None)
        if name in {"MultiFieldPanel", "InlinePanel"} and len(node.args) >= 2:
            self.flag(node.args[1], f"{name} heading", _literal_text(node.args[1]))
        if name in {"MenuItem", "SubmenuMenuItem"} and node.args:
            self.flag(node.args[0], name, _literal_text(node.args[0]))
        if name in {"drawString", "drawCentredString", "drawRightString", "setTitle"}:
            for arg in node.args:
                self.flag(arg, name, _literal_text(arg))
        if name in {"Column", "TitleColumn", "StatusColumn"} and self.path.endswith("viewsets.py"):
            if not any(k.arg == "label" for k in node.keywords) and node.args:
                # Wagtail titles such a column with its name, capitalised: English whatever the language.
                self.flag(node, "column without label", _literal_text(node.args[0]))
        if self._is_form_field(node) and not any(k.arg == "label" for k in node.keywords):
            self.flag(node, "form field without label", self._form_field_name(node))
        self.generic_visit(node)

    def _is_form_field(self, node: ast.Call) -> bool:
        if not (self.classes and self.path.endswith("forms.py")):
            return False
        cls = self.classes[-1]
        if not any(b.endswith("Form") or b.endswith("FormMixin") for b in _base_names(cls)):
            return False
        return (
            _dotted(node.func).startswith("forms.")
            and _name(node.func).endswith("Field")
            and any(isinstance(s, ast.Assign) and s.value is node for s in cls.body)
        )

    def _form_field_name(self, node: ast.Call) -> str:
        for stmt in self.classes[-1].body:
            if isinstance(stmt, ast.Assign) and stmt.value is node:
                return getattr(stmt.targets[0], "id", "?")
        return "?"


def python_files() -> list[Path]:
    files = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if not SKIP_PARTS & set(path.relative_to(ROOT).parts):
                files.append(path)
    return files


def unmarked_strings() -> list[Finding]:
    found: list[Finding] = []
    for path in python_files():
        walker = _Walker(str(path.relative_to(ROOT)))
        walker.visit(ast.parse(path.read_text(), filename=str(path)))
        found += walker.found
    return found


def test_every_user_facing_python_string_is_marked_for_translation():
    found = unmarked_strings()
    assert not found, (
        f"{len(found)} user-facing string(s) in Python are not marked for translation (wrap them in "
        "gettext_lazy at import time, gettext at run time, and add the Spanish to locale/es/LC_MESSAGES/django.po; "
        "a model or form field needs an explicit verbose_name / label):\n" + "\n".join(map(str, found))
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("class S(models.TextChoices):\n    A = 'a', 'Apple'\n", "choice label"),
        ("class S(models.TextChoices):\n    APPLE = 'a'\n", "choice without a label"),
        ("class V(SnippetViewSet):\n    menu_label = 'Alarms'\n", "menu_label"),
        ("def v(request):\n    messages.success(request, f'{x} saved.')\n", "messages.success"),
        ("def f():\n    raise ValidationError('Too long.')\n", "ValidationError"),
        ("Column('a', label='Code')\n", "label"),
        ("@admin.action(description='Resend')\ndef a(): pass\n", "description"),
        ("class A(ModelAdmin):\n    fieldsets = (('Person', {'fields': ['a']}),)\n", "fieldset title"),
        ("format_html('<span>Active</span>')\n", "format_html"),
        ("def v(request):\n    a, _ = f()\n    messages.info(request, _('Done.'))\n", "`_` shadows gettext"),
        ("class F(WagtailFilterSet):\n    LABELS = {'status': 'Status'}\n", "LABELS"),
        ("class CatsConfig(AppConfig):\n    name = 'cats'\n", "app without verbose_name"),
        ("def v(request):\n    return render(request, 't', {'title': 'Send a test'})\n", "page title"),
    ],
)
def test_the_walk_catches_each_kind_of_unmarked_string(source, expected):
    walker = _Walker("x/views.py")
    walker.visit(ast.parse(source))
    assert [f.what for f in walker.found if f.what.startswith(expected)], walker.found


def test_the_walk_catches_unnamed_fields_and_models_and_accepts_marked_ones():
    source = (
        "class Thing(models.Model):\n"
        "    name = models.CharField(max_length=5)\n"
        "    kind = models.CharField(_('kind'), max_length=5, help_text=_('Which kind.'))\n"
        "    owner = models.ForeignKey(User, on_delete=models.CASCADE, verbose_name=_('owner'))\n"
    )
    walker = _Walker("x/models.py")
    walker.visit(ast.parse(source))
    assert sorted(f.what for f in walker.found) == [
        "model field without verbose_name",
        "model without Meta.verbose_name",
        "model without Meta.verbose_name_plural",
    ]


# --- Rendered: the consoles in Spanish --------------------------------------------------------------------


class _ChromeText(HTMLParser):
    """The text of a page's navigation, headings, column headings, labels, buttons and legends: the words
    Keryu and its models put around the data (the data itself, names and messages, is whatever people typed).
    Wagtail draws its sidebar menu from JSON in a script element: its labels are read from there."""

    TAGS = {"nav", "h1", "h2", "h3", "h4", "th", "label", "legend", "button", "dt", "summary", "option"}
    SIDEBAR = "wagtail-sidebar-props"

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.skip = 0
        self.in_sidebar = False
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "template"}:
            self.skip += 1
            self.in_sidebar = tag == "script" and dict(attrs).get("id") == self.SIDEBAR
        if tag in self.TAGS:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in {"script", "style", "template"}:
            self.skip = max(0, self.skip - 1)
            self.in_sidebar = False
        if tag in self.TAGS:
            self.depth = max(0, self.depth - 1)

    def handle_data(self, data):
        if self.in_sidebar:
            self.parts += [json.loads(f'"{label}"') for label in re.findall(r'"label":\s*"((?:[^"\\]|\\.)*)"', data)]
        elif self.depth and not self.skip and data.strip():
            self.parts.append(" ".join(data.split()))


def chrome_text(html: str) -> str:
    parser = _ChromeText()
    parser.feed(html)
    return "\n".join(parser.parts)


OURS = ["accounts", "alerts", "home", "messaging", "registry"]
# Names that are the same word in Spanish (brands, acronyms, loanwords); anything else must be translated.
SAME_IN_BOTH = {
    "QR",
    "SMS",
    "WhatsApp",
    "Twilio",
    "Meta",
    "Email",
    "email",
    "OK",
    "Keryu",
    "API",
    "URL",
    "uuid",
    "UUID",
}


def english_names() -> set[str]:
    """Every name of ours that Django shows as a label (apps, models, fields, choices, groups), as English has it.

    Read with English active, so a name that is not marked (the defect this test is for) is collected just
    like a marked one; only names that are the same in both languages are left out: the list above, and those
    the Spanish catalogue explicitly translates as themselves.
    """
    from core.roles import CUSTODIANS, EDITORS, STAFF

    collected: set[str] = {CUSTODIANS, EDITORS, STAFF}  # the groups' names, which /ops/ lists
    with translation.override("en"):
        for app in OURS:
            config = apps.get_app_config(app)
            collected.add(str(config.verbose_name))
            for model in config.get_models():
                collected |= {str(model._meta.verbose_name), str(model._meta.verbose_name_plural)}
                for field in model._meta.get_fields():
                    # Wagtail's mixins add private relations (`_revisions`) nobody sees as a label.
                    if isinstance(field, models.Field) and not field.auto_created and not field.name.startswith("_"):
                        collected.add(str(field.verbose_name))
                        collected |= {str(label) for _value, label in field.flatchoices or []}
    with translation.override("es"):
        catalogue = translation.trans_real.translation("es")._catalog
        identical = {name for name in collected if catalogue.get(name) == name}
    return {name for name in collected - identical - SAME_IN_BOTH - ENDONYMS if len(name) > 2}


def english_on(text: str, names: set[str]) -> list[str]:
    """The names on `text`, as whole words, as written or capitalised ("date of birth", "Date of birth"):
    case matters, so a username such as "staff" is not taken for the group "Staff"."""
    return sorted(
        name
        for name in names
        if any(
            re.search(r"(?<![\wÀ-ÿ])" + re.escape(variant) + r"(?![\wÀ-ÿ])", text) for variant in {name, capfirst(name)}
        )
    )


def _template_literals() -> list[re.Pattern[str]]:
    """Text that templates show as written (not inside a translate tag), as patterns (`{{ x }}` matches any
    value): a page line matching one is the template's, and tests/test_unmarked_templates.py answers for it."""
    patterns = []
    folders = [ROOT / "templates", *(ROOT / app / "templates" for app in APPS)]
    for path in (p for folder in folders if folder.exists() for p in folder.rglob("*.html")):
        source = re.sub(r"\{%.*?%\}", "<", path.read_text())  # a tag ends a text run, as an HTML tag does
        for text in re.findall(r">([^<>]+)<", source):
            text = " ".join(text.split())
            if _has_words(re.sub(r"\{\{.*?\}\}", "", text)):
                parts = [re.escape(part) for part in re.split(r"\{\{.*?\}\}", text)]
                patterns.append(re.compile(".+".join(parts)))
    return patterns


def from_python(lines: list[str], names: set[str], templates: list[re.Pattern[str]]) -> list[str]:
    """The English names on lines Python wrote (labels, menus, headings, choices), not a template's own text."""
    found: set[str] = set()
    for line in lines:
        hits = english_on(line, names)
        if hits and not any(pattern.fullmatch(line) for pattern in templates):
            found |= set(hits)
    return sorted(found)


@pytest.fixture
def spanish_console(db, alice, alice_code, staff, editor, admin_user):
    """Alice (Spanish profile) with a subject, a code and an alarm; staff, the editor and a superuser (the only
    one who manages groups) with a Spanish browser."""
    from alerts.models import ReachabilityCheck
    from messaging.models import MessageStatus
    from tests.factories import AlarmFactory

    alarm = AlarmFactory(qr_code=alice_code)
    ReachabilityCheck.objects.create(
        custodian=alice.custodian, recipient_name="Abuela", channel="sms", status=MessageStatus.DELIVERED
    )
    return {"alice": alice, "code": alice_code, "alarm": alarm, "staff": staff, "editor": editor, "root": admin_user}


def _pages(cast) -> list[tuple[str, str]]:
    alice, code, alarm = cast["alice"], cast["code"], cast["alarm"]
    subject = code.subject
    return [
        ("alice", "/admin/"),
        ("alice", "/admin/snippets/registry/subject/"),
        ("alice", f"/admin/snippets/registry/subject/inspect/{subject.pk}/"),
        ("alice", f"/admin/snippets/registry/subject/edit/{subject.pk}/"),
        ("alice", "/admin/snippets/registry/qrcode/"),
        ("alice", f"/admin/snippets/registry/qrcode/inspect/{code.pk}/"),
        ("alice", "/admin/snippets/alerts/alarm/"),
        ("alice", f"/admin/snippets/alerts/alarm/inspect/{alarm.pk}/"),
        ("alice", "/admin/snippets/alerts/reachabilitycheck/"),
        ("alice", f"/admin/snippets/registry/custodian/edit/{alice.custodian.pk}/"),
        ("editor", "/admin/snippets/messaging/messagetemplate/"),
        ("staff", "/admin/"),
        ("staff", "/admin/snippets/alerts/alarm/"),
        ("staff", "/ops/"),
        ("staff", "/ops/registry/subject/"),
        ("staff", f"/ops/registry/subject/{subject.pk}/change/"),
        ("staff", "/ops/alerts/inactivecodescan/"),
        ("staff", "/ops/messaging/channelsetting/"),
        ("root", "/ops/auth/group/"),
    ]


@pytest.mark.django_db
def test_the_consoles_show_no_english_model_field_or_choice_names_to_spanish_users(client, spanish_console):
    names, templates = english_names(), _template_literals()
    assert {"Subject lost", "QR codes"} <= names, "the English names were not collected"
    problems = []
    for who, url in _pages(spanish_console):
        client.force_login(spanish_console[who])
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="es")
        if response.status_code != 200:
            problems.append(f"{who} {url}: status {response.status_code}")
            continue
        found = from_python(chrome_text(response.content.decode()).splitlines(), names, templates)
        if found:
            problems.append(f"{who} {url}: {', '.join(found)}")
    assert not problems, "English on Spanish console pages:\n" + "\n".join(problems)
