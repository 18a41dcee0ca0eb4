"""Demo people and departments (never loaded in production)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from procurement_common.settings import Settings

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
    for username, name, department, roles in PEOPLE:
        session.add(
            User(
                username=username,
                name=name,
                department_code=department,
                roles_text=roles,
                password_hash=generate_password_hash(DEMO_PASSWORD),
            )
        )
    return True
