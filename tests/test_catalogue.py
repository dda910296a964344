"""The German catalogue: complete, exact about placeholders, compiled, and used.

``make messages`` extracts, merges and compiles; these tests fail when a string marked in
the code is missing from casework/translations/de or untranslated, when a translation is
fuzzy or drops or changes a placeholder, when the committed messages.mo is older than the
.po beside it, when a string is marked where pybabel cannot see it (inside an f-string), and
when a form would take WTForms' messages from elsewhere. Then pages in German and English.
"""

from __future__ import annotations

import gettext
import re
import tokenize
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from wtforms.i18n import messages_path

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "casework" / "translations"
PO = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.mo"

# %(name)s, %(num)d, %s, %% and str.format's {0} / {name}.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx%]|\{[^{}]*\}")


def _catalogue():
    with PO.open("rb") as handle:
        return read_po(handle)


def _keywords() -> list[str]:
    """The extraction keywords, as the Makefile's ``make messages`` passes them."""
    makefile = (ROOT / "Makefile").read_text()
    line = re.search(r"^BABEL_KEYWORDS\s*:=\s*(.+)$", makefile, re.MULTILINE)
    assert line, "BABEL_KEYWORDS is no longer in the Makefile"
    return line.group(1).split()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The messages marked in the code today, extracted as ``make messages`` does."""
    pot = tmp_path_factory.mktemp("catalogue") / "messages.pot"
    # --ignore-dirs: only hidden folders; by default pybabel also skips folders starting
    # with "_", such as templates/_macros.
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
                                *_keywords(), "--ignore-dirs=.*", "-o", str(pot),
                                str(ROOT)])
    with pot.open("rb") as handle:
        return read_po(handle)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def _stray_percent(text: str) -> int:
    """Percent signs outside placeholders: "40 %" breaks formatting ("40 %%" is right)."""
    return PLACEHOLDER.sub("", text).count("%")


def test_every_marked_string_has_a_german_translation(template):
    catalogue = _catalogue()
    missing, untranslated = [], []
    for message in template:
        if not message.id:
            continue
        entry = catalogue.get(message.id, message.context)
        if entry is None:
            missing.append(message.id)
        elif not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            untranslated.append(message.id)
    assert not missing, f"not in {PO.relative_to(ROOT)} (run make messages): {missing}"
    assert not untranslated, f"untranslated: {untranslated}"


MARKER_IN_FSTRING = re.compile(r"\{[^{}]*\b(?:_|_l|gettext|ngettext|pgettext|npgettext|lazy_\w+)\(")


def test_no_string_is_marked_inside_an_f_string():
    """pybabel does not look inside f-strings: a string marked there is never extracted,
    so it stays English in every language. (Python 3.11 reads an f-string as one token.)"""
    hidden = []
    for path in sorted((ROOT / "casework").rglob("*.py")):
        with path.open("rb") as handle:
            for token in tokenize.tokenize(handle.readline):
                prefix = re.match(r"[A-Za-z]*", token.string).group(0).lower()
                if (token.type == tokenize.STRING and "f" in prefix
                        and MARKER_IN_FSTRING.search(token.string)):
                    hidden.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    assert not hidden, hidden


def test_no_translation_is_fuzzy():
    fuzzy = [message.id for message in _catalogue() if message.id and message.fuzzy]
    assert not fuzzy, f"fuzzy (check the translation, then remove the flag): {fuzzy}"


def test_placeholders_match_in_every_form():
    wrong = []
    for message in _catalogue():
        if not message.id:
            continue
        if message.pluralizable:
            # German has two forms, as English: [0] for one, [1] for the rest.
            sources = list(message.id)
            targets = list(message.string)
            if len(targets) != 2:
                wrong.append((message.id, "needs exactly two plural forms"))
                continue
        else:
            sources, targets = [message.id], [message.string]
        for source, target in zip(sources, targets, strict=True):
            if target and (_placeholders(source) != _placeholders(target)
                           or _stray_percent(source) != _stray_percent(target)):
                wrong.append((source, target))
    assert not wrong, wrong


def test_the_compiled_catalogue_matches_the_po_file():
    """messages.mo is committed (``make run`` needs no compile step): it must hold exactly
    the .po's translations. Run ``make messages`` (or pybabel compile) after editing."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for message in _catalogue():
        if not message.id or message.fuzzy:
            continue
        context = f"{message.context}\x04" if message.context else ""
        if message.pluralizable:
            for n, form in enumerate(message.string):
                expected[(context + message.id[0], n)] = form
        else:
            expected[context + message.id] = message.string
    compiled = {key: value for key, value in compiled.items() if key != ""}
    assert compiled == expected, "messages.mo is stale: run make messages"


def test_every_wtforms_message_is_in_the_catalogue():
    """Forms take WTForms' own messages from our catalogue (casework.web.forms); a WTForms
    upgrade that adds one must add it to casework/web/wtforms_messages.py too."""
    with (Path(messages_path()) / "wtforms.pot").open("rb") as handle:
        theirs = {message.id if isinstance(message.id, str) else message.id[0]
                  for message in read_po(handle) if message.id}
    catalogue = _catalogue()
    ours = {message.id if isinstance(message.id, str) else message.id[0]
            for message in catalogue if message.id and message.string}
    assert theirs <= ours, sorted(theirs - ours)


GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def test_the_login_page_speaks_german_to_a_german_browser(client):
    page = client.get("/login", headers=GERMAN).text
    assert '<html lang="de">' in page
    assert "Bei Casework anmelden" in page
    assert "Passwort" in page
    assert "Log in to Casework" not in page


def test_english_stays_english(client):
    page = client.get("/login", headers=ENGLISH).text
    assert '<html lang="en-GB">' in page
    assert "Log in to Casework" in page
    assert "Anmelden" not in page


def test_wtforms_messages_come_out_german(client, make, login_as):
    login_as(make.pm)
    empty = {"title": "", "source": "news", "market": "DE", "category": "hate_speech",
             "observed_at": "kein Datum"}
    page = client.post("/signals/new", data=empty, headers=GERMAN).text
    assert "Dieses Feld ist erforderlich." in page  # DataRequired
    assert "Kein gültiges Datum mit Uhrzeit." in page  # DateTimeLocalField
    assert "This field is required." not in page
    page = client.post("/signals/new", data=empty, headers=ENGLISH).text
    assert "This field is required." in page
    assert "Not a valid datetime value." in page


def test_the_login_form_speaks_german_too(client):
    page = client.post("/login", data={"email": "", "password": ""}, headers=GERMAN).text
    assert "Dieses Feld ist erforderlich." in page


def test_every_form_takes_wtforms_messages_from_the_catalogue(app):
    """A form derived from FlaskForm directly would answer in WTForms' own German."""
    from flask_wtf import FlaskForm

    from casework.web.forms import CaseworkForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [form for form in subclasses(FlaskForm) if form.__module__.startswith("casework.")]
    assert len(ours) > 10  # the app's blueprints imported every form module
    assert [form for form in ours if not issubclass(form, CaseworkForm)] == []


def test_the_queue_and_its_labels_are_german(client, make, login_as):
    login_as(make.pm)
    case = make.case("in_review")
    queue = client.get("/cases", headers=GERMAN).text
    assert "Fälle filtern" in queue
    assert "In Prüfung" in queue  # the state's label from casework.vocabulary
    detail = client.get(f"/cases/{case.key}", headers=GERMAN).text
    assert "Prüfprotokoll" in detail
    assert "Schweregrad" in detail


def test_an_error_page_is_german(client, make, login_as):
    login_as(make.pm)
    response = client.get("/cases/RISK-2026-9999", headers=GERMAN)
    assert response.status_code == 404
    assert '<html lang="de">' in response.text
    assert "Es gibt keinen Fall RISK-2026-9999." in response.text
