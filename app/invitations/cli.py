"""`flask reminders send` and `flask invitations send`, for cron."""

import click
from flask.cli import AppGroup

from app.invitations import services

reminders_cli = AppGroup("reminders", help="Reminder emails to people who have not answered.")
invitations_cli = AppGroup("invitations", help="Invitation emails.")


@reminders_cli.command("send")
def send_reminders_command():
    """Send the reminders that are due; safe to run as often as you like."""
    sent = services.send_reminders()
    click.echo(f"Sent {sent} reminders.")


@invitations_cli.command("send")
def send_invitations_command():
    """Send invitations still queued, including any a stopped run left half sent."""
    sent = services.send_queued(kind="invitation")
    click.echo(f"Sent {sent} invitations.")
