"""Demo people and departments (never loaded in production)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from procurement_common.db import utcnow
from procurement_common.settings import Settings

from .administration import announce
from .models import Department, User

DEMO_PASSWORD = "demo-pass"

DEPARTMENTS = [
    ("FIN", "Finance", "li.na"),
    ("SAL", "Sales", "zhao.lei"),
    ("GO", "General Office", "wang.fang"),
]

PEOPLE = [
    ("zhang.wei", "Zhang Wei", "FIN", "staff"),
    ("liu.yang", "Liu Yang", "SAL", "staff"),
    ("li.na", "Li Na", "FIN", "staff,leader"),
    ("zhao.lei", "Zhao Lei", "SAL", "staff,leader"),
    ("wang.fang", "Wang Fang", "GO", "staff,leader,director"),
    ("chen.jie", "Chen Jie", "GO", "staff,clerk"),
    ("admin", "Administrator", "GO", "admin"),
]


def load_demo_data(session: Session, settings: Settings) -> bool:
    if session.scalar(select(func.count()).select_from(User)):
        return False
    for code, name, head in DEPARTMENTS:
        session.add(Department(code=code, name=name, head=head))
    now = utcnow()
    for username, name, department, roles in PEOPLE:
        user = User(
            username=username,
            name=name,
            department_code=department,
            roles_text=roles,
            active=True,
            password_hash=generate_password_hash(DEMO_PASSWORD),
        )
        session.add(user)
        # As anyone added: the other services know her name from the start.
        announce(session, user, now)
    return True
