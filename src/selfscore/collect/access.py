"""Who may do what: the admin password (scrypt), reviewer sessions, API tokens, unit-page form tokens, login throttling."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from selfscore.collect.database import Database
from selfscore.collect.models import ApiToken, LoginFailure, LoginSession, Setting
from selfscore.collect.times import utcnow

PASSWORD_KEY = "admin_password"
SECRET_KEY = "form_secret"
# scrypt's cost: N=2**15, r=8 takes 32 MiB and about 0.1 s per guess here; dearer settings would slow every sign-in
# on a 2-core intranet server, and the login throttle below bounds online guessing anyway.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_PASSWORD_LENGTH = 10
SESSION_HOURS = 12
#: wrong passwords from one address within the window before sign-in is refused for the rest of it
MAX_FAILURES, FAILURE_WINDOW = 5, timedelta(minutes=15)


class PasswordTooWeak(ValueError):
    """The new admin password is refused; the message says why, in Chinese."""


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


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def new_token() -> str:
    """An unguessable token for a URL or a cookie: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class SignedIn:
    csrf_token: str


class Access:
    """Sign-in and tokens, kept in the database so that every process and every restart agrees."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._form_secret: str | None = None

    # --- the admin password ---

    def set_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise PasswordTooWeak(f"密码太短：至少 {MIN_PASSWORD_LENGTH} 个字符。")
        with self.database.transaction() as session:
            session.merge(Setting(key=PASSWORD_KEY, value=hash_password(password)))
            # A new password signs everyone out.
            session.execute(delete(LoginSession))

    def has_password(self) -> bool:
        with self.database.transaction() as session:
            return session.get(Setting, PASSWORD_KEY) is not None

    def stored_password_hash(self) -> str | None:
        with self.database.transaction() as session:
            setting = session.get(Setting, PASSWORD_KEY)
            return setting.value if setting else None

    # --- sign-in, throttled per client address ---

    def login_blocked(self, client: str) -> bool:
        since = utcnow() - FAILURE_WINDOW
        with self.database.transaction() as session:
            count = session.scalar(select(func.count()).select_from(LoginFailure)
                                   .where(LoginFailure.client == client, LoginFailure.at >= since))
        return (count or 0) >= MAX_FAILURES

    def log_in(self, password: str, client: str) -> tuple[str, SignedIn] | None:
        """A new session's cookie token and form token when the password is right; None (and one failure noted) if not."""
        stored = self.stored_password_hash()
        if stored is None or not password_matches(password, stored):
            with self.database.transaction() as session:
                session.add(LoginFailure(client=client[:64], at=utcnow()))
                session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - FAILURE_WINDOW))
            return None
        token, csrf = new_token(), new_token()
        now = utcnow()
        with self.database.transaction() as session:
            session.add(LoginSession(token_sha256=sha256(token), csrf_token=csrf, created_at=now,
                                     expires_at=now + timedelta(hours=SESSION_HOURS)))
            session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
            session.execute(delete(LoginFailure).where(LoginFailure.client == client[:64]))
        return token, SignedIn(csrf)

    def session(self, token: str | None) -> SignedIn | None:
        if not token:
            return None
        with self.database.transaction() as session:
            found = session.scalar(select(LoginSession).where(LoginSession.token_sha256 == sha256(token)))
            if found is None or found.expires_at < utcnow():
                return None
            return SignedIn(found.csrf_token)

    def log_out(self, token: str | None) -> None:
        if token:
            with self.database.transaction() as session:
                session.execute(delete(LoginSession).where(LoginSession.token_sha256 == sha256(token)))

    # --- bearer tokens for the JSON API ---

    def create_api_token(self, name: str) -> str:
        """A new bearer token; it is returned this once, only its hash is kept."""
        token = "ss_" + new_token()
        with self.database.transaction() as session:
            session.add(ApiToken(name=name[:100] or "API", token_sha256=sha256(token), created_at=utcnow()))
        return token

    def api_tokens(self) -> list[ApiToken]:
        with self.database.transaction() as session:
            return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))

    def revoke_api_token(self, token_id: int) -> bool:
        with self.database.transaction() as session:
            found = session.get(ApiToken, token_id)
            if found is None or found.revoked_at is not None:
                return False
            found.revoked_at = utcnow()
            return True

    def api_token_valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self.database.transaction() as session:
            found = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == sha256(token)))
            return found is not None and found.revoked_at is None

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
