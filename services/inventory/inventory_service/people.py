"""Who is who: the names requests announces, so the pages can show them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Person


def note(session: Session, data: dict) -> None:
    """Keep the name an ``account.changed`` carries, unless a later change is kept already."""
    if not data.get("name"):
        return  # an announcement from before names were sent
    person = session.get(Person, data["username"])
    if person is None:
        session.add(
            Person(username=data["username"], name=data["name"], changed_at=data["changed_at"])
        )
    elif person.changed_at < data["changed_at"]:
        person.name, person.changed_at = data["name"], data["changed_at"]


def names(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    """The names of those of ``usernames`` whose names are known."""
    known = select(Person.username, Person.name).where(Person.username.in_(set(usernames)))
    return dict(session.execute(known).all())
