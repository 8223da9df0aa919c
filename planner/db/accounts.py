"""Accounts: argon2-hashed passwords, roles, and sign-in throttling.

A store manager is bound to one store; head office sees every store. `Principal` is who is signed
in; every data function of the app takes one and checks it (ui.access), whatever the widgets say.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import CursorResult, Delete, delete, func, select, text
from sqlalchemy.orm import Session

from planner.db import Database, LoginAttempt, User, default_url, utc_now
from planner.errors import PlannerError
from planner.schemas import STORE_ID

MANAGER, HEAD_OFFICE = "manager", "head_office"
ROLES = (MANAGER, HEAD_OFFICE)
MIN_PASSWORD_LENGTH = 8
MAX_USERNAME = 64  # characters, as the users table stores it
MAX_FAILURES = 5  # failed sign-ins in a row for one username ...
LOCKOUT = timedelta(minutes=15)  # ... lock it for this long
DEMO_ACCOUNTS = "demo_accounts.csv"  # the sample chain's demo sign-ins; a real chain has none
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password of anyone")  # unknown users cost the same time as known ones


class AccountError(PlannerError):
    """An account cannot be added, or a sign-in failed."""


class SignInThrottled(AccountError):
    """Too many failed sign-ins for one username in a row."""


@dataclass(frozen=True)
class Principal:
    """Who is signed in."""

    username: str
    role: str
    store_id: str | None  # the manager's store; None for head office
    account: str = field(default="", compare=False)  # which account of that name: a removed and re-added name is another
    credential: str = field(default="", compare=False)  # which password of the account: a new one ends the older sessions

    @property
    def is_head_office(self) -> bool:
        return self.role == HEAD_OFFICE

    def may_see(self, store_id: str) -> bool:
        """Head office sees every store, a manager only their own."""
        return self.is_head_office or store_id == self.store_id


def _principal(user: User) -> Principal:
    """Who an account row is, with its identity (id and creation time: a re-added name differs) and a
    fingerprint of its password hash (a new password, salted afresh, differs)."""
    credential = hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]
    return Principal(user.username, user.role, user.store_id, f"{user.id}@{user.created_at.isoformat()}", credential)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")


def add_user(db: Database, username: str, password: str, role: str, store_id: str | None, known_stores: list[str]) -> Principal:
    """Create an account. A manager needs one of `known_stores`; head office has none."""
    username = username.strip()
    if not username or len(username) > MAX_USERNAME or any(c.isspace() for c in username):
        raise AccountError(f"username {username!r}: expected 1 to {MAX_USERNAME} characters without spaces")
    if role not in ROLES:
        raise AccountError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if role == MANAGER and store_id not in known_stores:
        raise AccountError(f"store {store_id!r}: a manager needs one of the chain's stores ({', '.join(known_stores)})")
    if role == HEAD_OFFICE and store_id:
        raise AccountError("head office sees every store: leave the store out")
    _check_password(password)
    with db.session.begin() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise AccountError(f"user {username!r} exists already")
        user = User(username=username, password_hash=_HASHER.hash(password), role=role, store_id=store_id if role == MANAGER else None)
        session.add(user)
        session.flush()
        return _principal(user)


def _deleted(session: Session, statement: Delete) -> int:
    """Run a DELETE; the number of rows it deleted (a DML statement's result is a CursorResult)."""
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    return result.rowcount


def remove_user(db: Database, username: str) -> bool:
    """Delete an account (its open sessions end at their next page load). False if there was none."""
    with db.session.begin() as session:
        removed = _deleted(session, delete(User).where(User.username == username))
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
    return bool(removed)


def set_password(db: Database, username: str, password: str) -> Principal:
    """Give an account a new password (the rules of add_user) and clear its failed sign-ins; the
    sessions signed in with the old password end at their next page load."""
    _check_password(password)
    with db.session.begin() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise AccountError(f"there is no user {username!r}")
        user.password_hash = _HASHER.hash(password)
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == username, ~LoginAttempt.succeeded))
        session.flush()
        return _principal(user)


def unlock_user(db: Database, username: str) -> int:
    """Clear an account's failed sign-ins, which ends a lockout (MAX_FAILURES in a row) at once; how
    many were cleared."""
    with db.session.begin() as session:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            raise AccountError(f"there is no user {username!r}")
        return _deleted(session, delete(LoginAttempt).where(LoginAttempt.username == username, ~LoginAttempt.succeeded))


def list_users(db: Database) -> list[Principal]:
    """Every account, by username."""
    with db.session() as session:
        users = session.scalars(select(User).order_by(User.username)).all()
    return [_principal(u) for u in users]


def principal(db: Database, username: str, account: str | None = None, credential: str | None = None) -> Principal | None:
    """The account as it is now, or None when it was removed (or, given the `account` a session signed in
    to, when the name now belongs to another account; given its `credential`, when the password was
    changed since): checked on every page load."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
    found = None if user is None else _principal(user)
    if found is None or (account is not None and found.account != account):
        return None
    return None if credential is not None and found.credential != credential else found


def sign_in(db: Database, username: str, password: str, *, now: datetime | None = None) -> Principal:
    """The account for a correct username and password. Raises SignInThrottled after MAX_FAILURES
    failures in a row (until LOCKOUT has passed since the last one), else AccountError. Serialised per
    username (`_serialise_sign_in`)."""
    now = now or utc_now()
    username = username.strip()
    if not username or len(username) > MAX_USERNAME:
        raise AccountError("wrong username or password")
    with db.session.begin() as session:
        _serialise_sign_in(session, username)
        last_success = session.scalar(select(func.max(LoginAttempt.at)).where(LoginAttempt.username == username, LoginAttempt.succeeded))
        failures = select(LoginAttempt.at).where(LoginAttempt.username == username, ~LoginAttempt.succeeded)
        if last_success is not None:
            failures = failures.where(LoginAttempt.at > last_success)
        recent = session.scalars(failures.order_by(LoginAttempt.at.desc()).limit(MAX_FAILURES)).all()
        if len(recent) >= MAX_FAILURES and now - recent[0] < LOCKOUT:
            wait = LOCKOUT - (now - recent[0])
            raise SignInThrottled(f"too many failed sign-ins for {username!r}: try again in {max(1, round(wait.total_seconds() / 60))} minutes")
        user = session.scalar(select(User).where(User.username == username))
        verified = _verify(user.password_hash if user else _DUMMY_HASH, password)  # as slow for an unknown name
        session.add(LoginAttempt(username=username, at=now, succeeded=verified and user is not None))
        if user is not None and verified and _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
    if user is None or not verified:
        raise AccountError("wrong username or password")
    return _principal(user)


def _serialise_sign_in(session: Session, username: str) -> None:
    """Hold a lock until the transaction ends, so that counting the failures, checking the password and
    recording the attempt happen for one sign-in of `username` at a time: at most MAX_FAILURES wrong
    passwords are ever checked per lockout, however many arrive at once. PostgreSQL: a transaction-scoped
    advisory lock on the username (known or not). SQLite: the database's write lock, taken up front by an
    empty write (SQLite has one writer at a time, so sign-ins queue up behind each other)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:username, 0))"), {"username": username})
    else:
        session.execute(text("UPDATE login_attempts SET username = username WHERE 0"))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def seed_demo_accounts(db: Database, data_dir: Path, known_stores: list[str]) -> int:
    """Add the accounts of `demo_accounts.csv` (username, password, role, store_id), all or none, to
    the data folder's own SQLite database while it has no account. Only the sample chain ships that
    file; a folder copied from it with other stores, or a configured database, gets no demo account.
    Returns how many were added."""
    path = data_dir / DEMO_ACCOUNTS
    if not path.exists() or db.url != default_url(data_dir):
        return 0
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if any(row["role"] == MANAGER and row[STORE_ID] not in known_stores for row in rows):
        return 0
    with db.session.begin() as session:
        if session.scalar(select(func.count(User.id))):
            return 0
        session.add_all(User(username=row["username"], password_hash=_HASHER.hash(row["password"]), role=row["role"],
                             store_id=row[STORE_ID] or None) for row in rows)
    return len(rows)
