"""The Danish catalogue is complete: every message has a Danish translation (none fuzzy), every UI
string in the templates and the Python code is in the catalogue, the compiled .mo matches the .po,
and the home page really comes out in Danish.

UI strings are English msgids; the UI is Danish by default. A string added without a Danish
translation fails here, naming the file and the string."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.urls import reverse

from jobtro.testing import PersonaTestCase

PACKAGE = Path(__file__).resolve().parents[2]  # jobtro/
PO = PACKAGE / "locale" / "da" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
TEMPLATES = PACKAGE / "templates"
# Libraries that could be published on their own: no Django, no UI strings.
NOT_UI = ("stats", "lib")

# {% translate "..." %} / {% trans '...' %}, optionally followed by `context "..."`, `as var`, `noop`.
TRANSLATE_TAG = re.compile(
    r"""\{%\s*(?:translate|trans)\s+(?P<q>["'])(?P<msg>.*?)(?P=q)(?P<rest>[^%]*)%\}""", re.DOTALL
)
CONTEXT_ARG = re.compile(r"""\bcontext\s+(?P<q>["'])(?P<ctx>.*?)(?P=q)""")
# _("...") inside a template tag or filter argument, e.g. |default:_("now").
TEMPLATE_UNDERSCORE = re.compile(r"""\b_\((?P<q>["'])(?P<msg>.*?)(?P=q)\)""")
BLOCK_TRANSLATE = re.compile(
    r"\{%\s*blocktrans(?:late)?\b(?P<args>[^%]*)%\}(?P<body>.*?)\{%\s*endblocktrans(?:late)?\s*%\}", re.DOTALL
)
PLURAL = re.compile(r"\{%\s*plural\s*%\}")
VARIABLE = re.compile(r"\{\{\s*(?P<name>\w+)\s*\}\}")
# _("..."), gettext_lazy('...'), gettext(...), gettext_noop(...), ngettext(singular, ...): one string
# literal or several adjacent ones (implicit concatenation). f-strings are not translatable.
PY_CALL = re.compile(
    r"""(?<![\w.])(?:_|gettext|gettext_lazy|gettext_noop|ngettext|ngettext_lazy)\(\s*"""
    r"""(?P<lits>(?:[rRuU]?(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')\s*)+)"""
)


def _catalog() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="da")


def _has(catalog: Catalog, msgid: str, context: str | None = None) -> bool:
    return catalog.get(msgid, context=context) is not None


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _template_files() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def _python_files() -> list[Path]:
    this = Path(__file__).resolve()
    return sorted(
        p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] not in NOT_UI and p.resolve() != this
    )


def _tag_msgid(msg: str) -> str:
    """The msgid Django looks up for {% translate "..." %} and _("...") in a template: it doubles every
    "%" first (django.template.base.Variable), and the rendered text has them single again."""
    return msg.replace("%", "%%")


def _block_msgids(args: str, body: str) -> tuple[str, str | None]:
    """The msgid (singular) and context Django derives from a {% blocktranslate %} block."""
    singular = PLURAL.split(body)[0]
    if re.search(r"\btrimmed\b", args):
        singular = " ".join(line.strip() for line in singular.strip().splitlines() if line.strip())
    singular = singular.replace("%", "%%")
    singular = VARIABLE.sub(lambda m: f"%({m['name']})s", singular)
    context = CONTEXT_ARG.search(args)
    return singular, context["ctx"] if context else None


def test_every_message_has_a_danish_translation_and_none_is_fuzzy() -> None:
    catalog = _catalog()
    untranslated, fuzzy = [], []
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s and s.strip() for s in strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert len(catalog) > 100, f"{PO} looks truncated: {len(catalog)} messages"
    assert not untranslated, f"messages without a Danish translation in {PO}: {untranslated}"
    assert not fuzzy, f"fuzzy (unchecked) translations in {PO}: {fuzzy}"


def test_every_template_string_is_in_the_catalogue() -> None:
    catalog = _catalog()
    missing, found = [], 0
    for path in _template_files():
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(PACKAGE)
        for m in TRANSLATE_TAG.finditer(text):
            context = CONTEXT_ARG.search(m["rest"])
            found += 1
            if not _has(catalog, _tag_msgid(m["msg"]), context["ctx"] if context else None):
                missing.append(f"{where}:{_line(text, m.start())}: {m['msg']!r}")
        for m in TEMPLATE_UNDERSCORE.finditer(text):
            found += 1
            if not _has(catalog, _tag_msgid(m["msg"])):
                missing.append(f"{where}:{_line(text, m.start())}: {m['msg']!r}")
        for m in BLOCK_TRANSLATE.finditer(text):
            msgid, context = _block_msgids(m["args"], m["body"])
            found += 1
            if not _has(catalog, msgid, context):
                missing.append(f"{where}:{_line(text, m.start())}: {msgid!r}")
    assert found > 100, f"found only {found} translatable strings in {TEMPLATES}: is the pattern broken?"
    assert not missing, "template strings missing from the Danish catalogue (run makemessages, translate):\n" + (
        "\n".join(missing)
    )


def test_every_python_ui_string_is_in_the_catalogue() -> None:
    catalog = _catalog()
    missing, found = [], 0
    for path in _python_files():
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(PACKAGE)
        for m in PY_CALL.finditer(text):
            msgid = ast.literal_eval("(" + m["lits"] + ")")
            found += 1
            if not _has(catalog, msgid):
                missing.append(f"{where}:{_line(text, m.start())}: {msgid!r}")
    assert found > 20, f"found only {found} translatable strings in {PACKAGE}: is the pattern broken?"
    assert not missing, "Python strings missing from the Danish catalogue (run makemessages, translate):\n" + (
        "\n".join(missing)
    )


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    with MO.open("rb") as f:
        compiled = read_mo(f)
    stale = []
    for message in _catalog():
        if not message.id:
            continue
        done = compiled.get(message.id, context=message.context)
        # read_mo gives a plural's forms as a list, read_po as a tuple.
        compiled_string = tuple(done.string) if done is not None and isinstance(done.string, list) else None
        if done is None or (compiled_string or done.string) != message.string:
            stale.append(message.id)
    assert not stale, (
        f"{MO} is out of date for {stale[:10]}: run "
        f"`pybabel -q compile -i {PO.relative_to(PACKAGE.parent)} -o {MO.relative_to(PACKAGE.parent)}`"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{% translate "Home" %}', [("Home", None)]),
        ("{% trans 'Log in' as title %}", [("Log in", None)]),
        ('{% translate "May" context "month" %}', [("May", "month")]),
    ],
)
def test_the_template_pattern_finds_what_makemessages_finds(text: str, expected: list[tuple[str, str | None]]) -> None:
    got = []
    for m in TRANSLATE_TAG.finditer(text):
        context = CONTEXT_ARG.search(m["rest"])
        got.append((m["msg"], context["ctx"] if context else None))
    assert got == expected


def test_the_blocktranslate_pattern_builds_django_msgids() -> None:
    text = (
        "{% blocktranslate count n=k %}{{ n }} caseworker takes part.{% plural %}{{ n }} caseworkers take part."
        "{% endblocktranslate %} "
        "{% blocktranslate trimmed with a=b %}\n  Half of {{ a }}:\n  50%\n{% endblocktranslate %}"
    )
    got = [_block_msgids(m["args"], m["body"]) for m in BLOCK_TRANSLATE.finditer(text)]
    assert got == [("%(n)s caseworker takes part.", None), ("Half of %(a)s: 50%%", None)]


def test_the_python_pattern_reads_concatenated_literals() -> None:
    text = 'x = _("Log in")\ny = gettext_lazy(\n    "A long "\n    \'message\'\n)\nz = my_("no") + f(_(name))'
    assert [ast.literal_eval("(" + m["lits"] + ")") for m in PY_CALL.finditer(text)] == ["Log in", "A long message"]


class HomePageLanguageTest(PersonaTestCase):
    def test_home_page_is_danish_by_default(self) -> None:
        self.login("caseworker_a")
        response = self.client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(response, '<html lang="da">')
        self.assertContains(response, "Din sagsstamme")
        self.assertContains(response, "Velkommen, Caseworker_A")
        self.assertContains(response, "Gå til indhold")  # the skip link
        self.assertNotContains(response, "Your caseload")

    def test_english_is_one_switch_away(self) -> None:
        self.login("caseworker_a")
        self.client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
        response = self.client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(response, '<html lang="en">')
        self.assertContains(response, "Your caseload")
        self.assertNotContains(response, "Din sagsstamme")

    def test_login_page_is_danish(self) -> None:
        response = self.client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="da")
        self.assertContains(response, "<h1>Log ind</h1>", html=False)
        self.assertContains(response, "Brugernavn")
