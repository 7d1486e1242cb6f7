"""``ecosentinel users create|list``: account administration from the command line."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
import getpass
from typing import Annotated

import typer

from ecosentinel.auth.roles import ROLE_NAMES_ZH, Role

users_app = typer.Typer(help="User accounts (账号管理).", no_args_is_help=True)


@users_app.command("create")
def create_command(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="Role (admin, analyst, patrol, officer, leader, …).")],
    display_name: Annotated[
        str | None, typer.Option(help="Name shown in the UI (default: username).")
    ] = None,
    enterprise_id: Annotated[int | None, typer.Option(help="Enterprise id (role=enterprise).")] = None,
    agency_id: Annotated[int | None, typer.Option(help="O&M agency id (role=om_agency).")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help="Password (>= 8 characters); asked for when omitted.", envvar="ECOSENTINEL_NEW_PASSWORD"
        ),
    ] = None,
) -> None:
    """Create an account (recorded in the audit trail as done by the system)."""
    from ecosentinel.accounts.service import add_user
    from ecosentinel.auth.service import SYSTEM
    from ecosentinel.database import create_engine, session_factory
    from ecosentinel.errors import ValidationError
    from ecosentinel.store.cli import prepared_database_url

    if password is None:
        password = getpass.getpass("密码：")
    engine = create_engine(prepared_database_url())
    try:
        with session_factory(engine)() as session:
            try:
                user = add_user(
                    session,
                    SYSTEM,
                    username=username,
                    password=password,
                    role=role,
                    display_name=display_name,
                    enterprise_id=enterprise_id,
                    agency_id=agency_id,
                )
            except ValidationError as exc:
                typer.echo(f"错误：{exc}", err=True)
                raise typer.Exit(2) from exc
            session.commit()
            typer.echo(f"已创建账号 {user.username}（{ROLE_NAMES_ZH[role]}），编号 {user.id}")
    finally:
        engine.dispose()


@users_app.command("list")
def list_command() -> None:
    """List accounts: id, username, role, name, binding, active."""
    from ecosentinel.accounts.service import list_users
    from ecosentinel.database import create_engine, session_factory
    from ecosentinel.store.cli import prepared_database_url

    engine = create_engine(prepared_database_url())
    try:
        with session_factory(engine)() as session:
            for u in list_users(session):
                binding = (
                    f"企业{u.enterprise_id}"
                    if u.enterprise_id
                    else (f"运维{u.agency_id}" if u.agency_id else "")
                )
                state = "启用" if u.active else "停用"
                typer.echo(
                    f"{u.id}\t{u.username}\t{u.role}\t{ROLE_NAMES_ZH[Role(u.role)]}\t{u.display_name}\t{binding}\t{state}"
                )
    finally:
        engine.dispose()
