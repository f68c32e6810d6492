"""Console: the owner's users page (`/admin/settings/users`): list, add, remove.

Only an owner manages users (staff get 403); additions and removals go through
checkout.services.users, audited with the owner who made them.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from checkout import clock
from checkout.admin.access import bp, current_user_id, owner_only
from checkout.gateway import client_ip, current_gateway
from checkout.services import users
from checkout.services.errors import ServiceError


class AddUserForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    role = SelectField(
        "Role",
        choices=[
            SelectChoice(users.STAFF, "Staff: payments, review, refunds"),
            SelectChoice(users.OWNER, "Owner: also settings and users"),
        ],
        default=users.STAFF,
    )
    password = PasswordField(
        f"Password (at least {users.MIN_PASSWORD} characters)",
        validators=[DataRequired(), Length(min=users.MIN_PASSWORD, max=users.MAX_PASSWORD)],
    )
    confirm = PasswordField(
        "Password again",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


class RemoveForm(FlaskForm):
    pass


@bp.route("/settings/users", methods=["GET", "POST"])
@owner_only
def users_page() -> Any:
    gateway = current_gateway()
    form = AddUserForm()
    error = None
    if form.validate_on_submit():
        try:
            added = users.create_user(
                gateway.users,
                gateway.store,
                email=form.email.data or "",
                password=form.password.data or "",
                role=form.role.data or users.STAFF,
                by=current_user_id() or "console",
                ip=client_ip(),
                now=clock.utcnow(),
            )
        except ServiceError as exc:
            error = exc.message
        else:
            flash(f"Added {added.email} ({added.role}).")
            return redirect(url_for("admin.users_page"))
    return render_template(
        "admin/users.html",
        form=form,
        remove_form=RemoveForm(),
        error=error,
        people=gateway.users.all(),
        me=current_user_id(),
    ), (400 if error or form.errors else 200)


@bp.route("/settings/users/<user_id>/remove", methods=["POST"])
@owner_only
def remove_user(user_id: str) -> Any:
    gateway = current_gateway()
    if RemoveForm().validate_on_submit():
        try:
            users.remove_user(
                gateway.users,
                gateway.store,
                user_id=user_id,
                by=current_user_id() or "console",
                now=clock.utcnow(),
            )
        except ServiceError as exc:
            flash(exc.message)
        else:
            flash("User removed.")
    return redirect(url_for("admin.users_page"))
