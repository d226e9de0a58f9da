"""`flask users ...`: create accounts from the command line."""

import click
from flask.cli import AppGroup

from app.auth.services import create_user
from app.models import ROLES
from app.services import ServiceError

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "role", required=True, type=click.Choice(sorted(ROLES)))
@click.option("--school", "school_urn", help="URN of the school, for school roles.")
@click.password_option()
def create_command(email, name, role, school_urn, password):
    """Create a user with one role (trust-wide, or for the school with this URN)."""
    try:
        user = create_user(email, name, password, role, school_urn)
    except ServiceError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.email} ({ROLES[role]}).")
