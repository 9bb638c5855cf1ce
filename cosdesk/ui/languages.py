"""The window's language: which one ``Settings.language`` asks for (empty: the
system's), and the translators that make Qt speak it.

Our messages come from ``resources/translations/cosdesk_<lang>.qm`` (built by
``packaging/build_translations.py``); Qt's own (standard buttons, file dialogs)
from the ``qtbase_<lang>.qm`` that ships with PySide6. Numbers and dates follow
the same locale through ``QLocale``'s default, which ``cosdesk.ui.formatting`` reads.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLibraryInfo, QLocale, QTranslator

from cosdesk.ui.icons import resources_dir

# (Settings.language value, what the Settings combo shows). A language is named in
# itself so a user who cannot read the current one still finds theirs.
LANGUAGES: tuple[tuple[str, str], ...] = (
    ("", str(QT_TRANSLATE_NOOP("languages", "System default"))),
    ("en", "English"),
    ("zh_CN", "简体中文"),
)
CATALOG = "cosdesk"

# The catalog of English plurals ("%n file(s)" → "1 file" / "%n files"): the
# window's own language when no other catalog applies.
ENGLISH = "en"

# Qt's own strings that its catalog lacks: Qt 6.11's file dialog gave these two
# labels accelerators, and qtbase_zh_CN.qm still holds them without, so the
# Chinese "Add folder" dialog said "Look in:" and "Files of type:". Listed here
# for lupdate; ours is asked after Qt's catalog, so only gaps come from it.
QT_CATALOG_GAPS = (
    QT_TRANSLATE_NOOP("QFileDialog", "&Look in:"),
    QT_TRANSLATE_NOOP("QFileDialog", "Files of &type:"),
)

# Kept referenced: a QTranslator that is garbage-collected stops translating.
_installed: list[QTranslator] = []


def language_label(code: str) -> str:
    for value, label in LANGUAGES:
        if value == code:
            return QCoreApplication.translate("languages", label) if not value else label
    return code


def translations_dir() -> Path:
    return resources_dir() / "translations"


def ui_locale(language: str) -> QLocale:
    """The locale the window uses for ``language`` ("" → the system's)."""
    return QLocale(language) if language else QLocale.system()


def install_translators(app: QCoreApplication, language: str) -> QLocale:
    """Make ``app`` speak ``language`` (replacing what an earlier call installed)
    and format numbers and dates for it. Returns the locale in use. Without a
    catalog for the language the window stays English; Qt's own strings then stay
    English too, so a dialog never mixes two languages."""
    remove_translators(app)
    locale = ui_locale(language)
    QLocale.setDefault(locale)
    ours = QTranslator(app)
    # The locale's UI languages in order (zh_Hans_CN, zh_CN, …).
    if locale.language() == QLocale.Language.English or not ours.load(
        locale, CATALOG, "_", str(translations_dir())
    ):
        english = QTranslator(app)
        if english.load(f"{CATALOG}_{ENGLISH}", str(translations_dir())):
            app.installTranslator(english)
            _installed.append(english)
        return locale
    app.installTranslator(ours)
    _installed.append(ours)
    qt_own = QTranslator(app)
    if qt_own.load(locale, "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt_own)
        _installed.append(qt_own)
    return locale


def remove_translators(app: QCoreApplication) -> None:
    while _installed:
        app.removeTranslator(_installed.pop())


def installed_language() -> str:
    """The language of the catalog in use ("" when the window speaks English)."""
    language = _installed[0].language() if _installed else ""
    return "" if language == ENGLISH else language
