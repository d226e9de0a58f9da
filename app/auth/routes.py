"""Sign-in and sign-out pages."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from app.auth import bp
from app.auth.forms import SignInForm
from app.auth.scope import public
from app.extensions import db, limiter
from app.models import User
from app.models.audit import record


def _sign_in_key():
    # Keyed on the email tried as well as the address: a whole school shares one public IP.
    return f"{request.remote_addr}|{(request.form.get('email') or '').strip().lower()}"


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("10 per minute", key_func=_sign_in_key, methods=["POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("reports.home"))
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None and user.active and user.check_password(form.password.data):
            login_user(user)
            record("sign_in", user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("reports.home"))
        error = "The email address or password is not right. Check them and try again."
    return render_template("auth/sign_in.html", form=form, error=error)


def _safe_next(target):
    """Only follow a 'next' link back into this site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/sign-out", methods=["POST"])
@public
def sign_out():
    logout_user()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))
