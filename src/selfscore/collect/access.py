"""Who may do what: users and their passwords (scrypt), sessions, API tokens, unit-page form tokens, login throttling."""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import logging
import math
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from selfscore.collect.actions import record
from selfscore.collect.database import Database
from selfscore.collect.models import ApiToken, LoginFailure, LoginSession, Setting, User
from selfscore.collect.times import utcnow

#: the user today's shared password became (migration 0002), and whom `selfscore admin set-password` names by default
ADMIN_NAME = "admin"
ROLES = {"admin": "管理员", "reviewer": "复核人员"}
MAX_USER_NAME = 64
SECRET_KEY = "form_secret"
# scrypt's cost: N=2**15, r=8 takes 32 MiB and about 0.1 s per guess here; dearer settings would slow every sign-in
# on a 2-core intranet server, and the login throttle below bounds online guessing anyway.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_PASSWORD_LENGTH = 10
SESSION_HOURS = 12

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignInLimits:
    """How much guessing sign-in allows, and how many passwords are hashed at once (each scrypt takes 32 MiB)."""

    #: wrong passwords from one address within the window; the next attempt from it waits until the oldest is older
    per_address: int = 5
    #: wrong passwords for one user name within the window, from anywhere (several addresses guessing one account)
    per_account: int = 10
    #: how long a wrong password counts: the back-off ends when the window has slid past the failures
    window: timedelta = timedelta(minutes=15)
    #: scrypt computations at once in this process (sign-in and new passwords)
    hashing: int = 2
    #: attempts that may wait for one of those; more get 429 at once
    hashing_queue: int = 8
    #: how long an attempt waits for a free slot before it gets 429
    hashing_wait: float = 5.0


class SignInRefused(Exception):
    """A sign-in attempt not checked at all: too many wrong passwords (``address``, ``account``) or too many being
    checked at once (``busy``); ``retry_after`` says in how many seconds to try again."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(f"sign-in refused ({reason}), retry after {retry_after} s")
        self.reason = reason
        self.retry_after = retry_after


class HashingPool:
    """At most ``size`` password hashes at once in this process; up to ``queue`` more wait for a slot, the rest (and
    those that waited ``wait`` seconds in vain) are refused with :class:`SignInRefused` ``busy``.

    A burst of sign-ins from many addresses then takes ``size`` × 32 MiB, not one scrypt's memory per request."""

    def __init__(self, size: int, queue: int, wait: float) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._admitted, self._limit, self.wait = 0, size + queue, wait

    @contextlib.contextmanager
    def slot(self, wait: bool = True) -> Iterator[None]:
        """A slot for one hash; ``wait=False`` for an admin setting a password, who waits as long as it takes."""
        with self._lock:
            if wait and self._admitted >= self._limit:
                raise SignInRefused("busy", self._retry_after())
            self._admitted += 1
        try:
            if not self._slots.acquire(timeout=self.wait if wait else None):
                raise SignInRefused("busy", self._retry_after())
            try:
                yield
            finally:
                self._slots.release()
        finally:
            with self._lock:
                self._admitted -= 1

    def _retry_after(self) -> int:
        return max(1, math.ceil(self.wait))


class PasswordTooWeak(ValueError):
    """The new password is refused; the message says why, in Chinese."""


class UserRefused(ValueError):
    """A user cannot be added or changed (a name taken or empty, an unknown user or role); the message is Chinese."""


def check_password(password: str) -> None:
    """At least 10 characters that are not spaces: ten spaces, or a short word padded with them, is not a password."""
    if len("".join(password.split())) < MIN_PASSWORD_LENGTH:
        raise PasswordTooWeak(f"密码太短：至少 {MIN_PASSWORD_LENGTH} 个字符（空格不计）。")


def hash_password(password: str) -> str:
    """scrypt with a random salt, as ``scrypt$N$r$p$salt$hash`` (base64): the password itself is never kept."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 1024 * 1024)
    encode = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt)}${encode(digest)}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                maxmem=64 * 1024 * 1024, dklen=len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def new_token() -> str:
    """An unguessable token for a URL or a cookie: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class UserInfo:
    """A user as the pages and the log name them."""

    id: int
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def role_name(self) -> str:
        return ROLES.get(self.role, self.role)


@dataclass(frozen=True)
class SignedIn:
    csrf_token: str
    user: UserInfo


@dataclass(frozen=True)
class UserRow:
    """A user as the 「用户」 page and `list-users` show them."""

    id: int
    name: str
    role: str
    created_at: datetime
    disabled_at: datetime | None

    @property
    def role_name(self) -> str:
        return ROLES.get(self.role, self.role)


def _lock_key(key: str) -> int:
    """A throttle key as PostgreSQL's 64-bit advisory-lock number."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def address_key(client: str) -> str:
    return "a:" + client[:60]


def account_key(name: str) -> str:
    # hashed: a user name may be longer than the column, and an attacker's names need not be readable there
    return "u:" + sha256(name)[:60]


class Access:
    """Sign-in and tokens, kept in the database so that every process and every restart agrees."""

    def __init__(self, database: Database, limits: SignInLimits | None = None) -> None:
        self.database = database
        self.limits = limits or SignInLimits()
        self.hashing = HashingPool(self.limits.hashing, self.limits.hashing_queue, self.limits.hashing_wait)
        self._form_secret: str | None = None

    # --- users ---

    def add_user(self, name: str, password: str, role: str = "reviewer", by: UserInfo | None = None) -> UserInfo:
        name = " ".join(name.split())
        if not name:
            raise UserRefused("请填写用户名。")
        if len(name) > MAX_USER_NAME:
            raise UserRefused(f"用户名太长：最多 {MAX_USER_NAME} 个字符。")
        if role not in ROLES:
            raise UserRefused(f"角色「{role}」无效：应为 admin（管理员）或 reviewer（复核人员）。")
        check_password(password)
        password_hash = self._hash(password)
        with self.database.transaction() as session:
            if session.scalar(select(User).where(User.name == name)) is not None:
                raise UserRefused(f"用户名「{name}」已被使用，请换一个。")
            user = User(name=name, password_hash=password_hash, role=role, created_at=utcnow())
            session.add(user)
            session.flush()
            record(session, by, "add_user", detail=f"{name}（{ROLES[role]}）")
            return UserInfo(user.id, user.name, user.role)

    def set_user_password(self, name: str, password: str, by: UserInfo | None = None) -> None:
        """A new password for a user; their sessions end (everyone signed in as them signs in again)."""
        check_password(password)
        password_hash = self._hash(password)
        with self.database.transaction() as session:
            user = self._user(session, name)
            user.password_hash = password_hash
            session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
            record(session, by, "set_password", detail=user.name)

    def disable_user(self, name: str, by: UserInfo | None = None) -> None:
        """The user can no longer sign in; their sessions end and their API tokens stop working."""
        with self.database.transaction() as session:
            user = self._user(session, name)
            if user.disabled_at is None:
                user.disabled_at = utcnow()
            session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
            record(session, by, "disable_user", detail=user.name)

    def enable_user(self, name: str, by: UserInfo | None = None) -> None:
        with self.database.transaction() as session:
            user = self._user(session, name)
            user.disabled_at = None
            record(session, by, "enable_user", detail=user.name)

    def users(self) -> list[UserRow]:
        with self.database.transaction() as session:
            return [UserRow(user.id, user.name, user.role, user.created_at, user.disabled_at)
                    for user in session.scalars(select(User).order_by(User.id))]

    def active_users(self) -> list[UserInfo]:
        return [UserInfo(user.id, user.name, user.role) for user in self.users() if user.disabled_at is None]

    def set_password(self, password: str) -> None:
        """The admin user's password (the user ``admin`` is made, as an admin, when there is none yet)."""
        check_password(password)
        with self.database.transaction() as session:
            exists = session.scalar(select(User).where(User.name == ADMIN_NAME)) is not None
        if exists:
            self.set_user_password(ADMIN_NAME, password)
        else:
            self.add_user(ADMIN_NAME, password, "admin")

    def has_password(self) -> bool:
        """Whether anyone can sign in: an active admin exists."""
        with self.database.transaction() as session:
            return session.scalar(select(User.id).where(User.role == "admin", User.disabled_at.is_(None)).limit(1)) is not None

    def stored_password_hash(self, name: str = ADMIN_NAME) -> str | None:
        with self.database.transaction() as session:
            user = session.scalar(select(User).where(User.name == name))
            return user.password_hash if user else None

    def _hash(self, password: str) -> str:
        with self.hashing.slot(wait=False):
            return hash_password(password)

    @staticmethod
    def _user(session, name: str) -> User:  # noqa: ANN001
        user = session.scalar(select(User).where(User.name == " ".join(name.split())))
        if user is None:
            raise UserRefused(f"没有用户「{name}」。")
        return user

    # --- sign-in, throttled per client address and per user name ---

    def log_in(self, name: str, password: str, client: str) -> tuple[str, SignedIn] | None:
        """A new session's cookie token and form token when the user's password is right; None if it is wrong.

        Raises :class:`SignInRefused` without looking at the password when the address or the user name had too many
        wrong passwords within the window, or when too many passwords are being hashed at once."""
        name = " ".join(name.split())
        keys = {address_key(client): self.limits.per_address, account_key(name): self.limits.per_account}
        reserved = self._reserve(keys)
        try:
            with self.hashing.slot():
                with self.database.transaction() as session:
                    user = session.scalar(select(User).where(User.name == name, User.disabled_at.is_(None)))
                    found = UserInfo(user.id, user.name, user.role) if user else None
                    stored = user.password_hash if user else None
                # As long as a wrong password for a real user: the answer's time does not tell which user names exist.
                right = password_matches(password, stored or _dummy_hash()) and found is not None and stored is not None
        except SignInRefused:
            # not checked after all (no free slot): the attempt does not count against the address or the name
            with self.database.transaction() as session:
                session.execute(delete(LoginFailure).where(LoginFailure.id.in_(reserved)))
            raise
        if not right:
            # The reservation stays: it is the failure. Told to the operator's log, where a guessing attack shows.
            log.warning("登录失败：用户名「%s」，地址 %s（密码错误或无此用户）", name[:64], client)
            return None
        token, csrf = new_token(), new_token()
        now = utcnow()
        with self.database.transaction() as session:
            session.add(LoginSession(token_sha256=sha256(token), csrf_token=csrf, created_at=now,
                                     expires_at=now + timedelta(hours=SESSION_HOURS), user_id=found.id))  # type: ignore[union-attr]
            session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
            self._lock(session, sorted(keys))
            session.execute(delete(LoginFailure).where(LoginFailure.client.in_(list(keys))))
        return token, SignedIn(csrf, found)  # type: ignore[arg-type]

    def _reserve(self, limits: dict[str, int]) -> list[int]:
        """Count this attempt as a failure of each key before its password is checked, or refuse it.

        Counting and recording are one step: the transaction holds each key's lock (SQLite: the write lock every
        transaction here takes at BEGIN IMMEDIATE; PostgreSQL: an advisory lock per key, taken in one order), so of
        100 attempts at once no more than the limit find room. A correct password then deletes its keys' failures."""
        now = utcnow()
        since = now - self.limits.window
        with self.database.transaction() as session:
            self._lock(session, sorted(limits))
            # the old failures of every key, skipping rows another attempt is deleting (no waiting, no deadlock)
            session.execute(delete(LoginFailure).where(LoginFailure.id.in_(
                select(LoginFailure.id).where(LoginFailure.at < since).with_for_update(skip_locked=True))))
            for key, limit in limits.items():
                times = session.scalars(select(LoginFailure.at).where(LoginFailure.client == key, LoginFailure.at >= since)
                                        .order_by(LoginFailure.at)).all()
                if len(times) >= limit:
                    # free again when the failure that filled the limit leaves the window
                    wait = times[len(times) - limit] + self.limits.window - now
                    raise SignInRefused("address" if key.startswith("a:") else "account",
                                        max(1, math.ceil(wait.total_seconds())))
            rows = [LoginFailure(client=key, at=now) for key in limits]
            session.add_all(rows)
            session.flush()
            return [row.id for row in rows]

    @staticmethod
    def _lock(session: Session, keys: list[str]) -> None:
        if session.get_bind().dialect.name == "postgresql":
            for key in keys:
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(key)})

    def session(self, token: str | None) -> SignedIn | None:
        if not token:
            return None
        with self.database.transaction() as session:
            found = session.scalar(select(LoginSession).where(LoginSession.token_sha256 == sha256(token)))
            if found is None or found.expires_at < utcnow() or found.user_id is None:
                return None
            user = session.get(User, found.user_id)
            if user is None or user.disabled_at is not None:
                return None
            return SignedIn(found.csrf_token, UserInfo(user.id, user.name, user.role))

    def log_out(self, token: str | None) -> None:
        if token:
            with self.database.transaction() as session:
                session.execute(delete(LoginSession).where(LoginSession.token_sha256 == sha256(token)))

    # --- bearer tokens for the JSON API ---

    def create_api_token(self, name: str, user_name: str = ADMIN_NAME) -> str:
        """A new bearer token of a user (the API sees what they see); it is returned this once, only its hash is kept."""
        token = "ss_" + new_token()
        with self.database.transaction() as session:
            user = self._user(session, user_name)
            session.add(ApiToken(name=name[:100] or "API", token_sha256=sha256(token), created_at=utcnow(), user_id=user.id))
        return token

    def api_tokens(self, user: UserInfo | None = None) -> list[ApiToken]:
        """Every token (None), or the tokens of one user."""
        with self.database.transaction() as session:
            query = select(ApiToken).order_by(ApiToken.id)
            if user is not None:
                query = query.where(ApiToken.user_id == user.id)
            return list(session.scalars(query))

    def revoke_api_token(self, token_id: int, user: UserInfo | None = None) -> bool:
        with self.database.transaction() as session:
            found = session.get(ApiToken, token_id)
            if found is None or found.revoked_at is not None or (user is not None and found.user_id != user.id):
                return False
            found.revoked_at = utcnow()
            return True

    def api_user(self, token: str | None) -> UserInfo | None:
        """The user a valid bearer token belongs to (None: no such token, revoked, or its user disabled)."""
        if not token:
            return None
        with self.database.transaction() as session:
            found = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == sha256(token)))
            if found is None or found.revoked_at is not None or found.user_id is None:
                return None
            user = session.get(User, found.user_id)
            return UserInfo(user.id, user.name, user.role) if user and user.disabled_at is None else None

    def api_token_valid(self, token: str | None) -> bool:
        return self.api_user(token) is not None

    # --- form tokens of unit pages: derived from the unit's link, so they need no session ---

    def unit_form_token(self, unit_token: str) -> str:
        return hmac.new(self._secret().encode(), f"unit:{unit_token}".encode(), hashlib.sha256).hexdigest()

    def _secret(self) -> str:
        if self._form_secret is None:
            try:
                with self.database.transaction() as session:
                    setting = session.get(Setting, SECRET_KEY)
                    if setting is None:
                        setting = Setting(key=SECRET_KEY, value=new_token())
                        session.add(setting)
                    value = setting.value
            except IntegrityError:  # another process made it first: use theirs
                with self.database.transaction() as session:
                    value = session.get(Setting, SECRET_KEY).value  # type: ignore[union-attr]
            self._form_secret = value
        return self._form_secret
