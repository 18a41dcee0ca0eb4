"""Marshmallow fields that every service's forms and JSON bodies share."""

from __future__ import annotations

from marshmallow import fields


class Text(fields.String):
    """A string with surrounding white space removed; a blank optional one is no value.

    Forms send every field, filled or not, so a blank optional field must
    mean "not given" rather than an empty string to be checked.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if not value and self.allow_none:
            return None
        return value

    def _validate(self, value):
        # A blank that became no value has nothing to check (``Length`` would fail on None).
        if value is not None:
            super()._validate(value)
