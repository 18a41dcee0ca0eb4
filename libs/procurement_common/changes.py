"""How an audit history says what changed, in words, alike in every service:
"roles: leader,staff → staff; active: yes → no", "added: name IT, head none"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def described(
    before: Mapping[str, object],
    after: Mapping[str, object],
    fields: Iterable[str] | None = None,
) -> str | None:
    """Each field that changed, from what to what, in the order of ``fields``
    (by name when not given); ``None`` when nothing did."""
    changed = [
        f"{name}: {shown(before.get(name))} → {shown(after[name])}"
        for name in (fields if fields is not None else sorted(after))
        if after[name] != before.get(name)
    ]
    return "; ".join(changed) or None


def listed(values: Mapping[str, object]) -> str:
    """Values in words, in their order: "name Li Na, roles leader,staff"."""
    return ", ".join(f"{name} {shown(value)}" for name, value in values.items())


def shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, frozenset | set):
        return ",".join(sorted(value)) or "none"
    return "none" if value is None else str(value)
