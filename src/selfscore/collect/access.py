"""Who may do what: users and their passwords (scrypt), sessions, API tokens, unit-page form tokens, login throttling."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

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
#: wrong passwords from one address within the window before sign-in is refused for the rest of it
MAX_FAILURES, FAILURE_WINDOW = 5, timedelta(minutes=15)


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


class Access:
    """Sign-in and tokens, kept in the database so that every process and every restart agrees."""

    def __init__(self, database: Database) -> None:
        self.database = database
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
        with self.database.transaction() as session:
            if session.scalar(select(User).where(User.name == name)) is not None:
                raise UserRefused(f"用户名「{name}」已被使用，请换一个。")
            user = User(name=name, password_hash=hash_password(password), role=role, created_at=utcnow())
            session.add(user)
            session.flush()
            record(session, by, "add_user", detail=f"{name}（{ROLES[role]}）")
            return UserInfo(user.id, user.name, user.role)

    def set_user_password(self, name: str, password: str, by: UserInfo | None = None) -> None:
        """A new password for a user; their sessions end (everyone signed in as them signs in again)."""
        check_password(password)
        with self.database.transaction() as session:
            user = self._user(session, name)
            user.password_hash = hash_password(password)
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

    @staticmethod
    def _user(session, name: str) -> User:  # noqa: ANN001
        user = session.scalar(select(User).where(User.name == " ".join(name.split())))
        if user is None:
            raise UserRefused(f"没有用户「{name}」。")
        return user

    # --- sign-in, throttled per client address ---

    def login_blocked(self, client: str) -> bool:
        since = utcnow() - FAILURE_WINDOW
        with self.database.transaction() as session:
            count = session.scalar(select(func.count()).select_from(LoginFailure)
                                   .where(LoginFailure.client == client, LoginFailure.at >= since))
        return (count or 0) >= MAX_FAILURES

    def log_in(self, name: str, password: str, client: str) -> tuple[str, SignedIn] | None:
        """A new session's cookie token and form token when the user's password is right; None (and one failure noted) if not."""
        with self.database.transaction() as session:
            user = session.scalar(select(User).where(User.name == " ".join(name.split()), User.disabled_at.is_(None)))
            found = UserInfo(user.id, user.name, user.role) if user else None
            stored = user.password_hash if user else None
        if found is None or stored is None:
            # As long as a wrong password for a real user: the answer's time does not tell which user names exist.
            password_matches(password, _dummy_hash())
        if found is None or stored is None or not password_matches(password, stored):
            with self.database.transaction() as session:
                session.add(LoginFailure(client=client[:64], at=utcnow()))
                session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - FAILURE_WINDOW))
            return None
        token, csrf = new_token(), new_token()
        now = utcnow()
        with self.database.transaction() as session:
            session.add(LoginSession(token_sha256=sha256(token), csrf_token=csrf, created_at=now,
                                     expires_at=now + timedelta(hours=SESSION_HOURS), user_id=found.id))
            session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
            session.execute(delete(LoginFailure).where(LoginFailure.client == client[:64]))
        return token, SignedIn(csrf, found)

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
