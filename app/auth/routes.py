"""Sign-in and sign-out pages."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from app.auth import bp, services
from app.auth.forms import SignInForm
from app.auth.scope import public
from app.extensions import db, limiter
from app.models.audit import record
from app.security import mark_active


def _sign_in_key():
    # Keyed on the email tried as well as the address: a whole school shares one public IP.
    return f"{request.remote_addr}|{(request.form.get('email') or '').strip().lower()}"


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("10 per minute", key_func=_sign_in_key, methods=["POST"])
# A looser limit on the address alone: one school's staff share it, one attacker does too.
@limiter.limit("100 per hour", methods=["POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("reports.home"))
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.sign_in(form.email.data, form.password.data)
        except services.SignInRefused as refused:
            error = str(refused)
        else:
            login_user(user)
            mark_active()
            return redirect(_safe_next(request.args.get("next")) or url_for("reports.home"))
    return render_template("auth/sign_in.html", form=form, error=error)


def _safe_next(target):
    """Only follow a 'next' link back into this site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/sign-out", methods=["POST"])
@public
def sign_out():
    if current_user.is_authenticated:
        record("sign_out", current_user)
        db.session.commit()
    logout_user()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))
