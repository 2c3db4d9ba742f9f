"""Sign-in accounts: create one, set its password. Hashes never reach the audit trail."""

from __future__ import annotations

from typing import Any

import bcrypt
from sqlmodel import Session, select

from operational.errors import NotFound, ValidationFailed
from operational.models import Employee, UserAccount
from operational.services._core import insert, save, service, snapshot
from operational.states import KINDS

MIN_PASSWORD_LENGTH = 10
REFUSED_PASSWORDS = {"demo", "password", "changeme", "change-me", "admin", "12345678"}


def _hash(password: str) -> str:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip().lower() in REFUSED_PASSWORDS:
        problems.append("not a well-known password")
    if len(password.encode("utf-8")) > 72:
        problems.append("at most 72 bytes (bcrypt's limit)")
    if problems:
        raise ValidationFailed({"password": "must be " + " and ".join(problems)})
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode()


def _account(session: Session, username: str) -> UserAccount:
    row = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
    if row is None:
        raise NotFound("user_account", username)
    return row


@service
def set_password(*, session: Session, username: str, password: str, actor: str) -> UserAccount:
    account = _account(session, username)
    before = snapshot(account)
    account.password_hash = _hash(password)
    return save(session, account, actor=actor, before=before, action="password_changed")


@service
def create_account(
    *, session: Session, data: dict[str, Any], password: str, actor: str
) -> UserAccount:
    errors: dict[str, str] = {}
    username = str(data.get("username") or "").strip()
    if not username or len(username) > 60 or not username.replace("_", "").isalnum():
        errors["username"] = "letters, digits and _ only, 1 to 60 characters"
    elif session.exec(select(UserAccount).where(UserAccount.username == username)).first():
        errors["username"] = f"{username!r} is taken"
    role = data.get("role")
    if role not in KINDS["role"]:
        errors["role"] = f"one of {', '.join(KINDS['role'])}"
    department = data.get("department")
    if department is not None and department not in KINDS["department"]:
        errors["department"] = f"one of {', '.join(KINDS['department'])}"
    if role == "staff" and department is None:
        errors["department"] = "staff accounts need a department"
    employee_id = data.get("employee_id")
    if employee_id is not None and session.get(Employee, employee_id) is None:
        errors["employee_id"] = f"employee {employee_id} does not exist"
    if errors:
        raise ValidationFailed(errors)
    account = UserAccount(
        username=username, display_name=str(data.get("display_name") or username),
        password_hash=_hash(password), role=str(role), department=department,
        employee_id=employee_id, is_active=True,
    )
    return insert(session, account, actor=actor)
