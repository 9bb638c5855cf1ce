"""Texts the engine writes in English that the window shows in the person's
language: a task's notes (``engine/notes.py``), the problems of a walk
(``engine/scan.py``) and of a sync (``engine/sync_plan.py``).

Each such text is made from a template, a member of a :class:`MessageTemplate`
enum. It is stored and printed in English (the task database, the command
line); the window tells which template made a text and its fields
(:meth:`MessageTemplate.parse`), and shows the template's translation with the
fields put back (``ui/engine_texts.py``). The template itself is the key of its
translation: Qt's translation tools read the modules that define templates
(``packaging/build_translations.py``), and the enum's class name is the
translation context. A text no template made (an older version's) is shown
as it is.
"""

from __future__ import annotations

import enum
import functools
import re
from typing import Self, cast


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Marks ``text`` for Qt's translation tools in ``context``; no Qt here."""
    return text


_FIELD = re.compile(r"\{(\w+)\}")


class MessageTemplate(enum.Enum):
    """A member's value is its English template; ``{name}`` marks a field."""

    def text(self, **fields: object) -> str:
        """The message, its fields filled in."""
        return str(self.value).format(**fields)

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(_FIELD.findall(self.value))

    @classmethod
    def context(cls) -> str:
        """The translation context of the templates: the class's name."""
        return cls.__name__

    @classmethod
    def parse(cls, text: str) -> tuple[Self, dict[str, str]] | None:
        """The template that made ``text`` and the values of its fields; None when
        none did."""
        for template, pattern in _patterns(cls):
            found = pattern.fullmatch(text)
            if found is not None:
                return cast(Self, template), found.groupdict()
        return None


def _pattern(template: str) -> re.Pattern[str]:
    # Each field takes any text; the words around it pin it down.
    parts = _FIELD.split(template)
    pieces = [re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts)]
    return re.compile("".join(pieces), re.DOTALL)


@functools.cache
def _patterns(templates: type[MessageTemplate]) -> list[tuple[MessageTemplate, re.Pattern[str]]]:
    # The most words of their own first: "(pid {pid})" would also take "(pid 7 on
    # host)", whose template is the longer.
    by_words = sorted(templates, key=lambda template: len(_FIELD.sub("", template.value)), reverse=True)
    return [(template, _pattern(template.value)) for template in by_words]
