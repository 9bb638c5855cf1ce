"""The Chinese translation is complete and compiled: every string the window can
show (as pyside6-lupdate finds it in today's sources) has a finished translation in
the committed cosdesk_zh_CN.ts, keeps its placeholders, and the committed .qm is
what lrelease makes of that .ts; and no translation in the committed catalogs is
one lupdate would drop because the sources no longer show it to lupdate. The fix for a failure here is
``.venv/bin/python packaging/build_translations.py``, then translating what it marks
unfinished, then running it again."""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE = "zh_CN"
# %1…%99, %n (plural count), and Python-style {name} fields.
PLACEHOLDER = re.compile(r"%(?:\d{1,2}|n)|\{\w*\}")
NOT_FINISHED = {"unfinished", "vanished", "obsolete"}


def load_build_script() -> ModuleType:
    """packaging/build_translations.py, the one place that knows how to run the tools."""
    spec = importlib.util.spec_from_file_location(
        "build_translations", ROOT / "packaging" / "build_translations.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = load_build_script()


@dataclass(frozen=True)
class MessageId:
    context: str
    source: str
    comment: str
    numerus: bool

    def __str__(self) -> str:
        return f"[{self.context}] {self.source!r}" + (f" ({self.comment})" if self.comment else "")


@dataclass(frozen=True)
class Translation:
    forms: tuple[str, ...]  # one text, or one per plural form
    finished: bool


def read_ts(path: Path) -> dict[MessageId, Translation]:
    messages: dict[MessageId, Translation] = {}
    for context in ET.parse(path).getroot().iter("context"):
        context_name = context.findtext("name") or ""
        for message in context.iter("message"):
            numerus = message.get("numerus") == "yes"
            key = MessageId(
                context_name, message.findtext("source") or "", message.findtext("comment") or "", numerus
            )
            element = message.find("translation")
            if element is None:
                messages[key] = Translation((), False)
                continue
            if numerus:
                forms = tuple(form.text or "" for form in element.iter("numerusform"))
            else:
                forms = (element.text or "",)
            finished = (
                element.get("type") not in NOT_FINISHED and bool(forms) and all(f.strip() for f in forms)
            )
            messages[key] = Translation(forms, finished)
    return messages


@pytest.fixture(scope="module")
def committed() -> dict[MessageId, Translation]:
    return read_ts(build.ts_path(LANGUAGE))


@pytest.fixture(scope="module")
def in_sources(tmp_path_factory: pytest.TempPathFactory) -> set[MessageId]:
    """What lupdate extracts from cosdesk/ui right now, into a fresh .ts."""
    fresh = tmp_path_factory.mktemp("lupdate") / f"cosdesk_{LANGUAGE}.ts"
    build.update(fresh, LANGUAGE)
    found = set(read_ts(fresh))
    assert len(found) > 100, "lupdate found almost nothing: is it scanning cosdesk/ui?"
    return found


def test_every_string_of_the_window_has_a_finished_chinese_translation(
    committed: dict[MessageId, Translation], in_sources: set[MessageId]
) -> None:
    missing = sorted(str(key) for key in in_sources if key not in committed)
    unfinished = sorted(str(key) for key in in_sources if key in committed and not committed[key].finished)
    assert not missing and not unfinished, (
        "run packaging/build_translations.py and translate these in "
        f"resources/translations/cosdesk_{LANGUAGE}.ts:\n"
        + "\n".join([*(f"  missing    {m}" for m in missing), *(f"  unfinished {u}" for u in unfinished)])
    )


@pytest.mark.parametrize("language", [LANGUAGE, "en"])
def test_every_committed_message_is_still_found_in_the_sources(
    language: str, in_sources: set[MessageId]
) -> None:
    # lupdate drops what it cannot find: a string shown through a helper rather
    # than written inside tr() / translate() / QT_TRANSLATE_NOOP() keeps its
    # translation only until the next build_translations.py run.
    unseen = sorted(str(key) for key in read_ts(build.ts_path(language)) if key not in in_sources)
    assert not unseen, (
        f"lupdate would drop these from cosdesk_{language}.ts: mark them where the code shows them "
        "(self.tr, or QT_TRANSLATE_NOOP in the right context), or remove them:\n"
        + "\n".join(f"  {key}" for key in unseen)
    )


def test_translations_keep_every_placeholder(committed: dict[MessageId, Translation]) -> None:
    wrong = []
    for key, translation in committed.items():
        wanted = sorted(PLACEHOLDER.findall(key.source))
        for form in translation.forms:
            if sorted(PLACEHOLDER.findall(form)) != wanted:
                wrong.append(f"  {key} -> {form!r}")
    assert not wrong, "placeholders changed in translation:\n" + "\n".join(wrong)


def test_plural_messages_have_one_form_in_chinese(committed: dict[MessageId, Translation]) -> None:
    # Chinese has no plural inflection: lrelease reads exactly one form per message.
    plural = {key: translation for key, translation in committed.items() if key.numerus}
    assert plural, "no %n messages: counts would read '1 file(s)' in every language"
    assert all(len(translation.forms) == 1 for translation in plural.values())


def test_committed_qm_is_compiled_from_the_committed_ts(tmp_path: Path) -> None:
    rebuilt = tmp_path / f"cosdesk_{LANGUAGE}.qm"
    build.release(build.ts_path(LANGUAGE), rebuilt)
    committed_qm = build.qm_path(LANGUAGE)
    assert committed_qm.exists(), "run packaging/build_translations.py"
    assert rebuilt.read_bytes() == committed_qm.read_bytes(), (
        f"{committed_qm.name} is stale: run packaging/build_translations.py --release"
    )


def test_english_counts_have_a_singular_and_a_plural_form(in_sources: set[MessageId]) -> None:
    # The sources say "%n file(s)"; cosdesk_en.ts (plural messages only) says how
    # English counts: "1 file" / "%n files".
    english = read_ts(build.ts_path("en"))
    wrong = []
    for key in sorted((k for k in in_sources if k.numerus), key=str):
        translation = english.get(key)
        if (
            translation is None
            or not translation.finished
            or len(translation.forms) != 2
            or any("(s)" in form for form in translation.forms)
            or translation.forms[0] == translation.forms[1]
        ):
            wrong.append(f"  {key} -> {translation}")
    assert not wrong, "finish the English plural forms in cosdesk_en.ts:\n" + "\n".join(wrong)


def test_committed_english_qm_is_compiled_from_its_ts(tmp_path: Path) -> None:
    rebuilt = tmp_path / "cosdesk_en.qm"
    build.release(build.ts_path("en"), rebuilt)
    assert rebuilt.read_bytes() == build.qm_path("en").read_bytes(), "run packaging/build_translations.py"
