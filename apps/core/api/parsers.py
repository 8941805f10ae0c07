"""The API's request parsers: DRF's own, plus two rules for every body whatever the view.

- No string may hold a NUL character: PostgreSQL cannot store one, and a lookup with one fails in the
  database. The refusal names the field (``entries.1.memo``).
- JSON may nest at most ``MAX_DEPTH`` levels: no request of Kontora's nests more than a few, and a deeply
  nested document costs recursion (Python's parser gives up at about a thousand levels with an error).
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

MAX_DEPTH = 32


def nul_error(path: str) -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {path or "non_field_errors": [_("Text must not contain the NUL character (\\u0000).")]}
    )


def check_parsed(data) -> None:
    """Refuse NUL characters and nesting deeper than ``MAX_DEPTH``, walking ``data`` without recursion."""
    stack = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise exceptions.ParseError(_("The JSON nests deeper than {n} levels.").format(n=MAX_DEPTH))
        if isinstance(value, str):
            if "\x00" in value:
                raise nul_error(path)
        elif hasattr(value, "lists"):  # a QueryDict: every value of every key
            for key, values in value.lists():
                if "\x00" in key:
                    raise nul_error(key.replace("\x00", "\\u0000"))
                stack.extend((item, key, depth + 1) for item in values)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and "\x00" in key:
                    raise nul_error(f"{path}.{key}".strip(".").replace("\x00", "\\u0000"))
                stack.append((item, f"{path}.{key}" if path else str(key), depth + 1))
        elif isinstance(value, list):
            stack.extend(
                (item, f"{path}.{index}" if path else str(index), depth + 1) for index, item in enumerate(value)
            )


def json_parse_error(error: exceptions.ParseError) -> exceptions.ParseError:
    """DRF's refusal of a body that is not JSON ("JSON parse error - Expecting value…", untranslated), said in the
    user's language, with the line and column where reading stopped."""
    cause = error.__context__
    if isinstance(cause, json.JSONDecodeError):
        return exceptions.ParseError(
            _("The body is not valid JSON: reading stopped at line {line}, column {column}.").format(
                line=cause.lineno, column=cause.colno
            )
        )
    if isinstance(cause, UnicodeDecodeError):
        return exceptions.ParseError(
            _("The body is not UTF-8 text (byte {position}).").format(position=cause.start + 1)
        )
    return exceptions.ParseError(_("The body is not valid JSON."))


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The JSON nests deeper than {n} levels.").format(n=MAX_DEPTH)) from None
        except exceptions.ParseError as error:
            raise json_parse_error(error) from error
        check_parsed(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        check_parsed(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        check_parsed(result.data)
        return result
