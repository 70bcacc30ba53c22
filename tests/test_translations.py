"""Every string marked for translation has its Spanish, the compiled catalogue matches the .po, and a
custodian's pages speak their profile's language (else the browser's).

The catalogue is extracted the way a translator would (`makemessages -l es`, into a temporary copy of the
Spanish catalogue so the repository is untouched) and read back: a msgid with an empty or fuzzy msgstr is
missing. The failure names every missing string with where it is used, so whoever merges can fill them in.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management.commands import makemessages

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")
# Not shown to users: tests, the test kit, benchmarks, docs, runtime data.
IGNORE = ["tests/*", "testkit/*", "benchmarks/*", "docs/*", "var/*", "staticfiles/*", "node_modules/*", "bin/*"]
# Shown to users, translated by Django/Wagtail's own catalogues rather than ours.
NOT_OURS = {"Django site admin"}


@dataclass
class Entry:
    msgid: str
    msgstr: list[str]
    fuzzy: bool
    where: list[str]
    context: str = ""


def _unquote(lines: list[str]) -> str:
    return "".join(ast.literal_eval(line) for line in lines)


def po_entries(text: str) -> list[Entry]:
    """A small .po reader (no polib in the project): msgctxt, msgid, msgstr / msgstr[n], flags, locations."""
    entries = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln for ln in block.strip().splitlines() if not ln.startswith("#~")]
        fields: dict[str, list[str]] = {}
        current = None
        where: list[str] = []
        fuzzy = False
        for line in lines:
            if line.startswith("#:"):
                where += line[2:].split()
            elif line.startswith("#,"):
                fuzzy = fuzzy or "fuzzy" in line
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                if current is not None:
                    fields[current].append(line)
            else:
                key, _, rest = line.partition(" ")
                current = key
                fields[key] = [rest]
        if "msgid" not in fields:
            continue
        msgstr = [_unquote(v) for k, v in fields.items() if k.startswith("msgstr")]
        entries.append(
            Entry(
                msgid=_unquote(fields["msgid"]),
                msgstr=msgstr,
                fuzzy=fuzzy,
                where=where,
                context=_unquote(fields["msgctxt"]) if "msgctxt" in fields else "",
            )
        )
    return [e for e in entries if e.msgid]  # the header has an empty msgid


class _ExtractInto(makemessages.Command):
    """makemessages, writing into `target` (a copy of locale/) instead of the project's own locale/."""

    target = ""

    def find_files(self, root):
        self.locale_paths = [self.target]  # where the .pot is looked for and merged into the .po
        found = super().find_files(root)
        return [makemessages.TranslatableFile(f.dirpath, f.file, self.target) for f in found]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> list[Entry]:
    if shutil.which("xgettext") is None:
        pytest.skip("gettext tools (xgettext, msgmerge) are not installed")
    target = tmp_path_factory.mktemp("locale")
    shutil.copytree(CATALOGUE.parent, target / "es" / "LC_MESSAGES")
    command = _ExtractInto()
    command.target = str(target)
    command.run_from_argv(
        ["manage.py", "makemessages", "-l", "es", "--no-obsolete", *[arg for p in IGNORE for arg in ("-i", p)]]
    )
    return po_entries((target / "es" / "LC_MESSAGES" / "django.po").read_text())


def test_every_marked_string_has_a_spanish_translation(extracted):
    missing = [e for e in extracted if e.msgid not in NOT_OURS and (e.fuzzy or not all(s.strip() for s in e.msgstr))]
    report = "\n".join(
        f"- {e.msgid!r}{f' (context {e.context!r})' if e.context else ''}{' [fuzzy]' if e.fuzzy else ''} "
        f"at {', '.join(e.where[:3])}"
        for e in missing
    )
    assert not missing, (
        f"{len(missing)} string(s) marked for translation have no Spanish in {CATALOGUE.relative_to(ROOT)} "
        f"(add them at the end of the file, then compilemessages -l es):\n{report}"
    )


def test_the_catalogue_has_no_fuzzy_or_duplicate_entries():
    entries = po_entries(CATALOGUE.read_text())
    assert not [e.msgid for e in entries if e.fuzzy]
    keys = [(e.context, e.msgid) for e in entries]
    assert len(keys) == len(set(keys)), "duplicate msgids"
    result = subprocess.run(["msgfmt", "--check-format", "-o", "/dev/null", str(CATALOGUE)], capture_output=True)
    assert result.returncode == 0, result.stderr.decode()


def test_the_committed_mo_is_compiled_from_the_committed_po(tmp_path):
    """CI compiles the catalogue: the committed .mo must say exactly what the .po says."""
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(CATALOGUE)], check=True)
    with COMPILED.open("rb") as committed, fresh.open("rb") as compiled:
        ours, theirs = gettext.GNUTranslations(committed)._catalog, gettext.GNUTranslations(compiled)._catalog
    stale = sorted(str(k) for k in set(ours.items()) ^ set(theirs.items()))[:10]
    assert ours == theirs, f"locale/es/LC_MESSAGES/django.mo is stale: run compilemessages -l es ({stale})"


# --- Which language a person is served ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("profile", "browser", "expected"), [("es", "en", "es"), ("en", "es", "en")])
def test_a_custodians_pages_follow_their_profile_not_the_browser(client, alice, profile, browser, expected):
    alice.custodian.language = profile
    alice.custodian.save()
    client.force_login(alice)
    response = client.get("/admin/profile/", HTTP_ACCEPT_LANGUAGE=browser)
    assert response.status_code == 200
    assert f'lang="{expected}"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("browser", ["es", "en"])
def test_anyone_else_gets_the_browsers_language(client, browser):
    html = client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE=browser).content.decode()
    assert f'lang="{browser}"' in html


def test_the_shipped_messages_have_no_yu_label_and_no_gendered_spanish():
    from messaging.defaults import DEFAULTS

    for (kind, language), (subject_line, content) in DEFAULTS.items():
        text = subject_line + "\n" + content
        assert "Yu:" not in text and "YU " not in text, (kind, language)
        if language == "es":
            assert not re.search(r"\b(herido|herida|encontrado|encontrada|extraviado|lo encontró)\b", text), kind
