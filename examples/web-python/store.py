"""The example's own data in SQLite (the standard library's sqlite3): accounts with argon2id
password hashes, sessions, the operations a session waits for, and rate-limit counters.

The schema is shared with the Kotlin backend (`../web-shared/schema.sql`), so any number of
backend processes on one database file serve the same people. Every method opens its own
short connection: sqlite3 connections are not meant to be shared between the event loop and
the worker threads that hash passwords.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

SCHEMA = Path(__file__).resolve().parent.parent / "web-shared" / "schema.sql"

# OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane); the Kotlin backend uses the same,
# and both read and write the same PHC strings.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)
# Verified when a username is unknown, so that a sign-in takes as long either way.
DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))

SESSION_SECONDS = 8 * 60 * 60
# No rate-limit window is longer (the attempts table forgets older rows).
LONGEST_WINDOW_SECONDS = 24 * 60 * 60
STALE_CLAIM_SECONDS = 60
OPERATION_COLUMNS = (
    "SELECT id, flow, account_id, cloud_user_id, transaction_id, status_token, number, known_authenticators, state,"
    " expires_at FROM operations"
)


@dataclass(frozen=True)
class Account:
    id: str
    username: str
    cloud_user_id: Optional[str]
    authenticator_id: Optional[str]

    @property
    def has_phone(self) -> bool:
        return bool(self.cloud_user_id and self.authenticator_id)


@dataclass(frozen=True)
class Session:
    id: str  # the stored SHA-256, not the cookie value
    account: Optional[Account]
    csrf_token: str


@dataclass(frozen=True)
class Operation:
    id: str
    flow: str
    account_id: Optional[str]
    cloud_user_id: Optional[str]
    transaction_id: Optional[str]
    status_token: Optional[str]
    number: Optional[int]
    known_authenticators: Optional[str]
    state: str
    expires_at: int


class UsernameTaken(Exception):
    pass


def session_key(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode()).hexdigest()


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def password_matches(password_hash: Optional[str], password: str) -> bool:
    """Checks a password in constant work: an unknown account checks against a dummy hash."""
    try:
        return HASHER.verify(password_hash or DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(SCHEMA.read_text())

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode (explicit BEGIN IMMEDIATE where several statements
        must hold together), closed after use; an exception inside a transaction rolls it back."""
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            yield db
        finally:
            db.close()

    # --- accounts --------------------------------------------------------------------------

    def create_account(self, username: str, password_hash: str) -> Account:
        account = Account(id=f"acct-{uuid.uuid4().hex}", username=username, cloud_user_id=None, authenticator_id=None)
        with self._connect() as db:
            try:
                db.execute(
                    "INSERT INTO accounts (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)",
                    (account.id, username, password_hash, int(time.time())),
                )
            except sqlite3.IntegrityError as error:
                raise UsernameTaken(username) from error
        return account

    def account_for_sign_in(self, username: str) -> tuple[Optional[Account], Optional[str]]:
        """The account and its password hash, or (None, None)."""
        with self._connect() as db:
            row = db.execute(
                "SELECT id, username, cloud_user_id, authenticator_id, password_hash FROM accounts WHERE username = ?",
                (username,),
            ).fetchone()
        if row is None:
            return None, None
        return Account(*row[:4]), row[4]

    def account_by_username(self, username: str) -> Optional[Account]:
        return self.account_for_sign_in(username)[0]

    def account_name(self, account_id: str) -> str:
        with self._connect() as db:
            row = db.execute("SELECT username FROM accounts WHERE id = ?", (account_id,)).fetchone()
        return row[0] if row else ""

    def link_phone(self, account_id: str, cloud_user_id: str, authenticator_id: str) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE accounts SET cloud_user_id = ?, authenticator_id = ? WHERE id = ?",
                (cloud_user_id, authenticator_id, account_id),
            )

    def unlink_phone(self, account_id: str, authenticator_id: str) -> bool:
        """Forgets the account's phone (after "Lost your phone?" removed it from the cloud); the
        cloud userId stays, so the next phone is enrolled for the same cloud user. False if
        another phone is linked by now."""
        with self._connect() as db:
            return db.execute(
                "UPDATE accounts SET authenticator_id = NULL WHERE id = ? AND authenticator_id = ?",
                (account_id, authenticator_id),
            ).rowcount == 1

    # --- sessions --------------------------------------------------------------------------

    def session(self, cookie_value: Optional[str]) -> Optional[Session]:
        if not cookie_value:
            return None
        with self._connect() as db:
            row = db.execute(
                "SELECT s.id, s.csrf_token, a.id, a.username, a.cloud_user_id, a.authenticator_id "
                "FROM sessions s LEFT JOIN accounts a ON a.id = s.account_id "
                "WHERE s.id = ? AND s.expires_at > ?",
                (session_key(cookie_value), int(time.time())),
            ).fetchone()
        if row is None:
            return None
        account = Account(*row[2:]) if row[2] is not None else None
        return Session(id=row[0], account=account, csrf_token=row[1])

    def new_session(self, account_id: Optional[str], replacing: Optional[Session] = None) -> tuple[str, Session]:
        """A fresh session (new cookie value, new CSRF token); the one it replaces is deleted,
        so a session id known before signing in is worthless after it."""
        cookie_value = secrets.token_urlsafe(32)
        session = Session(id=session_key(cookie_value), account=None, csrf_token=secrets.token_urlsafe(32))
        now = int(time.time())
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            if replacing is not None:
                db.execute("DELETE FROM sessions WHERE id = ?", (replacing.id,))
            db.execute(
                "INSERT INTO sessions (id, account_id, csrf_token, expires_at) VALUES (?, ?, ?, ?)",
                (session.id, account_id, session.csrf_token, now + SESSION_SECONDS),
            )
            db.execute("COMMIT")
        return cookie_value, session

    def end_session(self, session: Session) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM sessions WHERE id = ?", (session.id,))

    def end_other_sessions(self, account_id: str, keep: Session) -> int:
        """Signs the account out everywhere but in `keep` (after its phone was lost: whoever
        has the phone may have logged in with it). Returns how many sessions ended."""
        with self._connect() as db:
            return db.execute("DELETE FROM sessions WHERE account_id = ? AND id != ?", (account_id, keep.id)).rowcount

    def prove_phone(self, session_id: str) -> None:
        """Notes that this session used the account's phone (logged in with it, or linked it)."""
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO phone_proofs (session_id, proved_at) VALUES (?, ?)",
                       (session_id, int(time.time())))

    def proved_phone(self, session: Session) -> bool:
        with self._connect() as db:
            return db.execute("SELECT 1 FROM phone_proofs WHERE session_id = ?", (session.id,)).fetchone() is not None

    # --- operations ------------------------------------------------------------------------

    def add_operation(self, session: Session, flow: str, account_id: Optional[str], cloud_user_id: Optional[str],
                      transaction_id: Optional[str], status_token: Optional[str], number: Optional[int],
                      expires_in_seconds: float, known_authenticators: Optional[str] = None) -> str:
        operation_id = secrets.token_urlsafe(24)
        now = time.time()
        with self._connect() as db:
            db.execute("DELETE FROM operations WHERE expires_at <= ?", (int(now) - 3600,))
            db.execute(
                "INSERT INTO operations (id, session_id, flow, account_id, cloud_user_id, transaction_id, status_token,"
                " number, known_authenticators, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (operation_id, session.id, flow, account_id, cloud_user_id, transaction_id, status_token, number,
                 known_authenticators, int(now), int(now + expires_in_seconds)),
            )
        return operation_id

    def operation(self, session: Session, operation_id: str) -> Optional[Operation]:
        with self._connect() as db:
            row = db.execute(
                OPERATION_COLUMNS + " WHERE session_id = ? AND id = ?",
                (session.id, operation_id),
            ).fetchone()
        return Operation(*row) if row else None

    def operation_by_id(self, operation_id: str) -> Optional[Operation]:
        with self._connect() as db:
            row = db.execute(
                OPERATION_COLUMNS + " WHERE id = ?",
                (operation_id,),
            ).fetchone()
        return Operation(*row) if row else None

    def claim(self, operation_id: str) -> bool:
        """Single flight: moves a pending operation to 'verifying'; False if another request
        (in this process or another) already has it or it is done. A claim older than
        STALE_CLAIM_SECONDS (its process died mid-verify) can be taken over."""
        now = int(time.time())
        with self._connect() as db:
            return db.execute(
                "UPDATE operations SET state = 'verifying', claimed_at = ? WHERE id = ? AND"
                " (state = 'pending' OR (state = 'verifying' AND claimed_at < ?))",
                (now, operation_id, now - STALE_CLAIM_SECONDS),
            ).rowcount == 1

    def release(self, operation_id: str, done: bool) -> None:
        with self._connect() as db:
            db.execute("UPDATE operations SET state = ? WHERE id = ?", ("done" if done else "pending", operation_id))

    # --- rate limits -----------------------------------------------------------------------

    def take(self, limits: list[tuple[str, int]], window_seconds: float) -> Optional[int]:
        """Counts one attempt against every (bucket, limit), all or nothing. None when allowed,
        else the seconds until the fullest bucket has room again."""
        now = time.time()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            # Buckets have windows of their own (a minute, a quarter of an hour): only these
            # buckets' old attempts go, and anything older than the longest window.
            db.execute("DELETE FROM attempts WHERE at <= ?", (now - LONGEST_WINDOW_SECONDS,))
            db.executemany("DELETE FROM attempts WHERE bucket = ? AND at <= ?",
                           [(bucket, now - window_seconds) for bucket, _ in limits])
            wait = 0.0
            for bucket, limit in limits:
                rows = db.execute(
                    "SELECT at FROM attempts WHERE bucket = ? ORDER BY at DESC LIMIT ?", (bucket, limit)
                ).fetchall()
                if len(rows) >= limit:
                    wait = max(wait, rows[-1][0] + window_seconds - now)
            if wait > 0:
                db.execute("COMMIT")
                return max(1, int(wait + 0.999))
            db.executemany("INSERT INTO attempts (bucket, at) VALUES (?, ?)", [(bucket, now) for bucket, _ in limits])
            db.execute("COMMIT")
        return None
