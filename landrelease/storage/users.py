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


def count_active_admins(conn: Connection) -> int:
    q = select(func.count()).select_from(u).where(u.c.role == Role.ADMIN.value, u.c.active.is_(True))
    return int(conn.execute(q).scalar_one())


def change_user(
    conn: Connection,
    actor: str,
    name: str,
    *,
    active: bool | None = None,
    role: Role | None = None,
    operator: str | None = None,
    set_operator: bool = False,
) -> User:
    """Deactivate/reactivate a user or change its role (and organisation); every change ends
    the user's sessions. Refuses (naming the field) to leave the register without an active
    admin, and an operator user without an organisation."""
    from landrelease.storage import audit

    r = conn.execute(select(u).where(u.c.name == name).with_for_update()).first()
    if r is None:
        raise ValidationError([Problem("no user with this name", record=name, field="name")], "user refused")
    before = user_from_row(r)
    new_role = role or before.role
    new_active = before.active if active is None else active
    new_operator = operator if set_operator else before.operator
    problems = []
    if new_role is Role.OPERATOR and not new_operator:
        problems.append(Problem("an operator user must belong to an operator organisation", name, "operator"))
    demoted = before.role is Role.ADMIN and before.active and (new_role is not Role.ADMIN or not new_active)
    if demoted and count_active_admins(conn) <= 1:
        problems.append(
            Problem(
                "this is the only active admin: add or reactivate another admin first",
                name,
                "active" if not new_active else "role",
            )
        )
    if problems:
        raise ValidationError(problems, "user refused")
    conn.execute(
        update(u)
        .where(u.c.id == r.id)
        .values(
            role=new_role.value,
            active=new_active,
            operator=new_operator if new_role is Role.OPERATOR else None,
            session_epoch=u.c.session_epoch + 1,
        )
    )
    changes = {
        k: v
        for k, v in (
            ("active", new_active if new_active != before.active else None),
            ("role", new_role.value if new_role is not before.role else None),
            ("operator", new_operator if new_operator != before.operator else None),
        )
        if v is not None
    }
    audit.append(conn, actor, "update", "user", name, changes)
    found = user_by_id(conn, int(r.id))
    assert found is not None
    return found


def end_session(conn: Connection, user_id: int, sid: str, expires_at: datetime) -> None:
    """End one session (its token stops working); the user's other sessions go on."""
    es = schema.ended_session
    if conn.execute(select(es.c.sid).where(es.c.sid == sid)).first() is None:
        conn.execute(es.insert().values(sid=sid, user_id=user_id, expires_at=expires_at))
    conn.execute(es.delete().where(es.c.expires_at < datetime.now(UTC)))


def session_ended(conn: Connection, sid: str) -> bool:
    es = schema.ended_session
    return conn.execute(select(es.c.sid).where(es.c.sid == sid)).first() is not None
