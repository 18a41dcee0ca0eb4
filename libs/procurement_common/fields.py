"""Marshmallow fields that every service's forms and JSON bodies share."""

from __future__ import annotations

import re

from marshmallow import fields

# Control characters other than tab, line feed and carriage return: nobody
# types them, pages cannot show them, and XML (the Atom feed) cannot hold most.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class Text(fields.String):
    """A string with surrounding white space removed; a blank optional one is no value.

    Forms send every field, filled or not, so a blank optional field must
    mean "not given" rather than an empty string to be checked. A control
    character (but a tab or a line break) is refused, with its code point.
    """

    default_error_messages = {
        "control": "Must not contain a control character (found {code_point}).",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if found := CONTROL.search(value):
            raise self.make_error("control", code_point=f"U+{ord(found.group()):04X}")
        if not value and self.allow_none:
            return None
        return value

    def _validate(self, value):
        # A blank that became no value has nothing to check (``Length`` would fail on None).
        if value is not None:
            super()._validate(value)
