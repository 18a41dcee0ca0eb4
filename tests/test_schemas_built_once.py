"""Request schemas are built once, when the API is defined.

Given a schema class, webargs builds a new instance on every request it
parses (marshmallow copies every field for it); given an instance, it uses
that one. Instances hold no per-request state, so one serves all threads.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# ``@blp.arguments(SomeSchema)`` or ``@blp.arguments(SomeSchema, location=...)``
CLASS_GIVEN = re.compile(r"@blp\.arguments\(\s*([A-Z]\w*)\s*[,)]")


def test_every_api_argument_schema_is_an_instance():
    given_a_class = [
        f"{path.relative_to(ROOT)}: {match[1]}"
        for path in sorted(ROOT.glob("services/*/*/api/*.py"))
        for match in CLASS_GIVEN.finditer(path.read_text())
    ]
    assert given_a_class == []
