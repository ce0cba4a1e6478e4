"""Web commands: serve, user (registered on the shared app when imported)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from landrelease.cli.base import app, console, fail, open_register, settings
from landrelease.cli.lazy import LightGroup
from landrelease.domain.errors import ValidationError
from landrelease.domain.user import Role


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="uvicorn worker processes")] = 1,
) -> None:
    """Serve the map, dashboards, REST API, OGC API – Features and vector tiles."""
    from landrelease.web.serve import serve as run

    run(
        settings(),
        host=host,
        port=port,
        workers=workers,
        say=lambda text: console.print(text, highlight=False, soft_wrap=True, markup=False),
    )


user_app = typer.Typer(cls=LightGroup, help="Users of the web application.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="the sign-in name")],
    role: Annotated[Role, typer.Option(help="admin, analyst, operator or viewer")],
    operator: Annotated[str | None, typer.Option(help="the organisation of an operator user")] = None,
) -> None:
    """Add a user; the password comes from LANDRELEASE_USER_PASSWORD or is asked for."""
    from landrelease.api.auth import Authenticator
    from landrelease.storage import users

    password = os.environ.get("LANDRELEASE_USER_PASSWORD") or typer.prompt(
        "password", hide_input=True, confirmation_prompt=True
    )
    if len(password) < 10:
        raise fail("a password needs at least 10 characters")
    with open_register() as register:
        auth = Authenticator(register, None)
        try:
            with register.unit_of_work(actor="cli") as uow:
                users.add_user(uow.conn, "cli", name, role, auth.hash_password(password), operator)
        except ValidationError as exc:
            raise fail(exc) from None
    console.print(f"added user {name!r} ({role.value}{', ' + operator if operator else ''})")


@user_app.command("list")
def user_list() -> None:
    """List the users."""
    from landrelease.storage import users

    with open_register() as register, register.reading() as conn:
        for u in users.list_users(conn):
            console.print(f"{u.name}\t{u.role.value}\t{u.operator or ''}\t{'active' if u.active else 'disabled'}")


def _change_user(name: str, **changes: object) -> None:
    from landrelease.storage import users

    with open_register() as register:
        try:
            with register.unit_of_work(actor="cli") as uow:
                user = users.change_user(uow.conn, "cli", name, **changes)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise fail(exc) from None
    state = "active" if user.active else "deactivated"
    console.print(
        f"user {user.name!r}: {user.role.value}{', ' + user.operator if user.operator else ''}, {state}; "
        "its sessions have ended"
    )


@user_app.command("deactivate")
def user_deactivate(name: Annotated[str, typer.Argument(help="the sign-in name")]) -> None:
    """Deactivate a user: it can no longer sign in, and its sessions and tokens stop working."""
    _change_user(name, active=False)


@user_app.command("activate")
def user_activate(name: Annotated[str, typer.Argument(help="the sign-in name")]) -> None:
    """Reactivate a deactivated user."""
    _change_user(name, active=True)


@user_app.command("role")
def user_role(
    name: Annotated[str, typer.Argument(help="the sign-in name")],
    role: Annotated[Role, typer.Argument(help="admin, analyst, operator or viewer")],
    operator: Annotated[str | None, typer.Option(help="the organisation of an operator user")] = None,
) -> None:
    """Change a user's role (and organisation); its sessions end."""
    _change_user(name, role=role, operator=operator, set_operator=operator is not None or role is not Role.OPERATOR)


@user_app.command("password")
def user_password(name: Annotated[str, typer.Argument(help="the sign-in name")]) -> None:
    """Reset a user's password (from LANDRELEASE_USER_PASSWORD or asked for); its sessions end."""
    from landrelease.api.auth import Authenticator
    from landrelease.storage import users

    password = os.environ.get("LANDRELEASE_USER_PASSWORD") or typer.prompt(
        "new password", hide_input=True, confirmation_prompt=True
    )
    if len(password) < 10:
        raise fail("a password needs at least 10 characters")
    with open_register() as register:
        auth = Authenticator(register, None)
        with register.unit_of_work(actor="cli") as uow:
            if users.find_user(uow.conn, name) is None:
                raise fail(f"no user {name!r}")
            users.set_password_hash(uow.conn, "cli", name, auth.hash_password(password))
    console.print(f"password of {name!r} reset; its sessions have ended")
