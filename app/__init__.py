"""Stakeholder Voice: create_app() wires config, extensions, blueprints, errors and CLI."""

import os
import secrets

import sqlalchemy as sa
from flask import Flask
from flask_babel import format_date, format_time
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from config import Config, database_url
from werkzeug.routing import IntegerConverter

from app.extensions import MAX_ID, babel, csrf, db, limiter, login_manager, migrate
from app.logs import configure_logging
from app.i18n import configure_i18n, select_locale
from app.navigation import nav_section
from app.security import configure_security


def create_app(config_class=Config, **overrides):
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_class)
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    configure_logging(app)  # first: its request id must exist before any other hook answers
    configure_database_url(app)
    configure_secret_key(app)
    configure_extensions(app)
    configure_templates(app)
    configure_security(app)
    configure_i18n(app)
    configure_blueprints(app)
    configure_cli(app)
    return app


def configure_database_url(app):
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(
        app.instance_path, app.config.get("SQLALCHEMY_DATABASE_URI")
    )


def configure_secret_key(app):
    """Use SECRET_KEY from the environment; on a laptop keep a random one in instance/."""
    if app.config.get("SECRET_KEY"):
        return
    path = os.path.join(app.instance_path, "secret_key")
    if not os.path.exists(path):
        with open(path, "w") as handle:
            handle.write(secrets.token_hex(32))
        os.chmod(path, 0o600)
    with open(path) as handle:
        app.config["SECRET_KEY"] = handle.read().strip()


def configure_extensions(app):
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see this page."
    login_manager.login_message_category = "info"

    from app.models import User

    @login_manager.user_loader
    def load_user(user_id):
        return db.session.get(User, int(user_id))

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            sa.event.listen(db.engine, "connect", sqlite_pragmas)


def sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers run beside a writer; SQLite only enforces foreign keys when asked."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Writers queue for SQLite's one write lock; on a busy machine 5 s was not always enough.
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def configure_templates(app):
    app.jinja_loader = ChoiceLoader([
        PackageLoader("app"),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    app.jinja_env.filters["long_date"] = lambda value: format_date(value, "d MMMM yyyy")
    app.jinja_env.filters["time_of_day"] = lambda value: format_time(value, "h:mm a")
    app.jinja_env.globals["nav_section"] = nav_section


class IdConverter(IntegerConverter):
    """<int:...> URL parts, bounded to what an id column can hold: larger numbers are a 404."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def configure_blueprints(app):
    app.url_map.converters["int"] = IdConverter
    from app.auth import bp as auth_bp
    from app.categorisation import bp as categorisation_bp
    from app.comments import bp as comments_bp
    from app.errors import bp as errors_bp
    from app.health import bp as health_bp
    from app.invitations import bp as invitations_bp
    from app.reports import bp as reports_bp
    from app.schedule import bp as schedule_bp
    from app.surveys import bp as surveys_bp
    from app.targets import bp as targets_bp

    app.register_blueprint(errors_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(categorisation_bp)
    app.register_blueprint(schedule_bp)
    app.register_blueprint(comments_bp)
    app.register_blueprint(invitations_bp)
    app.register_blueprint(targets_bp)


def configure_cli(app):
    from app.auth.cli import users_cli
    from app.demo import demo_data_command
    from app.invitations.cli import invitations_cli, reminders_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_data_command)
    from app.operations import backup_command, restore_command, retention_cli

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(retention_cli)
    from app.surveys.counts import counts_cli

    app.cli.add_command(counts_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(invitations_cli)
