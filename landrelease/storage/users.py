"""The users table: accounts of the web application (passwords only ever stored hashed)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.user import Role, User
from landrelease.storage import schema

u = schema.app_user


def user_from_row(r: Any) -> User:
    return User(
        id=r.id,
        name=r.name,
        role=Role(r.role),
        operator=r.operator,
        active=bool(r.active),
        session_epoch=int(r.session_epoch),
    )


def add_user(
    conn: Connection, actor: str, name: str, role: Role, password_hash: str, operator: str | None = None
) -> User:
    """Insert one account; refuses a duplicate name or an operator user without an organisation."""
    from landrelease.storage import audit

    problems = []
    if not name or len(name) > 120 or name.strip() != name:
        problems.append(
            Problem("a user name is 1–120 characters without surrounding spaces", record=name, field="name")
        )
    if role is Role.OPERATOR and not operator:
        problems.append(
            Problem("an operator user must belong to an operator organisation", record=name, field="operator")
        )
    if conn.execute(select(u.c.id).where(u.c.name == name)).first():
        problems.append(Problem("a user with this name already exists", record=name, field="name", found=name))
    if problems:
        raise ValidationError(problems, "user refused")
    result = conn.execute(
        u.insert().values(
            name=name,
            role=role.value,
            operator=operator,
            password_hash=password_hash,
            active=True,
            session_epoch=0,
            created_at=datetime.now(UTC),
        )
    )
    rid = result.inserted_primary_key[0]  # type: ignore[index]
    audit.append(conn, actor, "insert", "user", name, {"role": role.value, "operator": operator})
    return User(id=int(rid), name=name, role=role, operator=operator)


def find_user(conn: Connection, name: str) -> tuple[User, str] | None:
    """The user and its password hash, or None."""
    r = conn.execute(select(u).where(u.c.name == name)).first()
    return (user_from_row(r), r.password_hash) if r else None


def user_by_id(conn: Connection, user_id: int) -> User | None:
    r = conn.execute(select(u).where(u.c.id == user_id)).first()
    return user_from_row(r) if r else None


def list_users(conn: Connection) -> list[User]:
    return [user_from_row(r) for r in conn.execute(select(u).order_by(u.c.id))]


def count_users(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(u)).scalar_one())


def set_password_hash(conn: Connection, actor: str, name: str, password_hash: str) -> None:
    """Replace a password and end every session the user had."""
    from landrelease.storage import audit

    conn.execute(
        update(u).where(u.c.name == name).values(password_hash=password_hash, session_epoch=u.c.session_epoch + 1)
    )
    audit.append(conn, actor, "update", "user", name, {"password": "changed"})


def end_sessions(conn: Connection, user_id: int) -> None:
    conn.execute(update(u).where(u.c.id == user_id).values(session_epoch=u.c.session_epoch + 1))
