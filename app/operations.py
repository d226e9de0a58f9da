"""`flask backup`, `flask restore` and `flask retention run`: keeping the data safe and no longer than needed."""

import calendar
import glob
import os
import shutil
import sqlite3
import subprocess
from datetime import date, timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app import clock
from app.extensions import db
from app.models import (
    Answer, PartialResponse, Response, School, SignInThrottle, Survey, SurveySchool, Trust,
)
from app.models.audit import record
from app.surveys.counts import drop_counts, rebuild


class OperationError(Exception):
    """A backup, restore or retention run that could not be done, in plain words."""


def _url():
    return sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _pg_tool(name):
    """The PostgreSQL client tool, newest installed version first (it must not be older than the server)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda path: int(path.split("/")[4]))
    path = found[-1] if found else shutil.which(name)
    if not path:
        raise OperationError(f"{name} is not installed. Install the PostgreSQL client tools.")
    return path


def _pg_args(url):
    """libpq connection options and environment; the password goes in the environment, not argv."""
    env = dict(os.environ, PGPASSWORD=url.password or "")
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432),
            "--username", url.username or "postgres", "--dbname", url.database]
    return args, env


def _run(command, env=None):
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise OperationError(f"{os.path.basename(command[0])} failed: {result.stderr.strip()}")


def backup(path):
    """Write a consistent copy of the database to path while the app keeps running."""
    url = _url()
    if url.get_backend_name() == "sqlite":
        # The online backup API copies a consistent snapshot even with writers active (WAL).
        source, target = sqlite3.connect(url.database), sqlite3.connect(path)
        try:
            with target:
                source.backup(target)
        finally:
            source.close()
            target.close()
    else:
        args, env = _pg_args(url)
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", path, *args], env)
    return path


def restore(path):
    """Replace the database's contents with a backup made by backup()."""
    if not os.path.exists(path):
        raise OperationError(f"There is no backup file at {path}.")
    url = _url()
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables:
                raise OperationError(f"{path} is not a Stakeholder Voice backup.")
            target = sqlite3.connect(url.database)
            try:
                with target:
                    source.backup(target)
            finally:
                target.close()
        except sqlite3.DatabaseError as error:
            raise OperationError(f"{path} is not a Stakeholder Voice backup ({error}).") from error
        finally:
            source.close()
    else:
        args, env = _pg_args(url)
        _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
              "--single-transaction", *args, path], env)


def months_before(day, months):
    """The same day of the month `months` earlier (the last day when that month is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# Unfinished answers are kept only while they could still be sent, plus a few days for anyone
# who pressed send just as the survey closed to get a clear page rather than a lost answer.
UNFINISHED_GRACE_DAYS = 7


def run_retention(today=None):
    """Delete responses (and their answers) older than each trust's retention_months, and
    unfinished autosaved answers of surveys closed more than UNFINISHED_GRACE_DAYS ago.

    Results are worked out from the answer counts, so those go too: a survey that lost every
    response loses its counts at once; one that lost only some (its window straddles the
    cutoff) is counted again. Results for surveys older than the retention period disappear.
    Returns {trust name: {"responses": deleted, "unfinished": deleted}}.
    """
    today = today or clock.today()
    deleted = {}
    touched = set()
    for trust in db.session.scalars(sa.select(Trust)):
        cutoff = months_before(today, trust.retention_months)
        old = (sa.select(Response.id).join(School, School.id == Response.school_id)
               .where(School.trust_id == trust.id, Response.submitted_on < cutoff))
        touched.update(db.session.scalars(
            sa.select(Response.survey_id).where(Response.id.in_(old)).distinct()))
        db.session.execute(sa.delete(Answer).where(Answer.response_id.in_(old)))
        count = db.session.execute(sa.delete(Response).where(Response.id.in_(old))).rowcount
        closed = (sa.select(SurveySchool.id).join(Survey, Survey.id == SurveySchool.survey_id)
                  .join(School, School.id == SurveySchool.school_id)
                  .where(School.trust_id == trust.id,
                         Survey.closes_on < today - timedelta(days=UNFINISHED_GRACE_DAYS)))
        unfinished = db.session.execute(sa.delete(PartialResponse).where(
            PartialResponse.survey_school_id.in_(closed))).rowcount
        record("retention_run", cutoff=cutoff.isoformat(), responses_deleted=count,
               unfinished_deleted=unfinished, trust_id=trust.id)
        deleted[trust.name] = {"responses": count, "unfinished": unfinished}
    if touched:
        kept = set(db.session.scalars(sa.select(Response.survey_id).where(
            Response.survey_id.in_(touched)).distinct()))
        drop_counts(sorted(touched - kept))
        if kept:
            rebuild(sorted(kept))
    # Failed sign-in counts are only needed while a lockout could still apply.
    db.session.execute(sa.delete(SignInThrottle).where(
        SignInThrottle.last_failed_at < clock.utcnow() - timedelta(days=1)))
    db.session.commit()
    return deleted


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path):
    """Copy the database to PATH (SQLite backup API, or pg_dump custom format)."""
    try:
        backup(path)
    except OperationError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up to {path}.")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
@click.option("--yes", is_flag=True, help="Do not ask before replacing the data.")
def restore_command(path, yes):
    """Replace everything in the database with the backup at PATH."""
    if not yes:
        click.confirm("This replaces every survey, response and user with the backup. Go on?",
                      abort=True)
    try:
        restore(path)
    except OperationError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored from {path}.")


retention_cli = AppGroup("retention", help="Delete response-level data the trust no longer keeps.")


@retention_cli.command("run")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Run as if on this date.")
def retention_run_command(today):
    """Delete responses older than each trust's retention period (default 36 months), and
    unfinished answers of surveys closed more than a week ago."""
    deleted = run_retention(today.date() if today else None)
    for trust, counts in deleted.items():
        click.echo(f"{trust}: deleted {counts['responses']} responses older than the retention "
                   f"period and {counts['unfinished']} unfinished answers of closed surveys.")
