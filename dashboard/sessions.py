"""Signed, expiring login sessions that survive a reload or a bookmark.

A login in the Streamlit form yields a one-time code (valid for a minute, in this process); the browser
trades it at ``/auth/session`` for an HttpOnly cookie (app/server.py), so page scripts never handle the
cookie's value and scripts in the page cannot read it. The cookie holds the user name, an expiry, a session
id and a fingerprint of the user's password hash, signed with HMAC-SHA256 under a secret that lives
outside the repository (``$DASHBOARD_SECRET_FILE``, default ``~/.config/cs-dashboard/session_secret``,
created with mode 0600 on first use). A cookie is refused when the signature is wrong, it has expired,
the user was removed, the password changed since (``user passwd`` ends every session of that user), or
it was logged out (session ids are revoked in a file beside the secret, so a copied cookie dies too).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from pathlib import Path

from dashboard import auth

COOKIE = "cs_dashboard_session"
DEFAULT_HOURS = 7 * 24  # a working week and a weekend: the setting ``session_hours`` changes it
MAX_HOURS = 90 * 24
CODE_SECONDS = 60
DEFAULT_SECRET = Path.home() / ".config" / "cs-dashboard" / "session_secret"

_lock = threading.Lock()
_codes: dict[str, tuple[str, float, float]] = {}  # code -> (token, expires monotonic, max age seconds)


def secret_path() -> Path:
    return Path(os.environ.get("DASHBOARD_SECRET_FILE") or DEFAULT_SECRET)


def _secret() -> bytes:
    path = secret_path()
    with _lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
            try:
                os.link(tmp, path)  # never replaces a secret another process wrote first
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        value = path.read_text().strip()
    if len(value) < 32:
        raise RuntimeError(f"the session secret in {path} is too short (32+ characters)")
    return value.encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fingerprint(stored_hash: str) -> str:
    return hashlib.sha256(stored_hash.encode()).hexdigest()[:16]


def sign(user: str, hours: float, now: float | None = None) -> str:
    """A session token for a user of the users file, valid for ``hours``."""
    entry = auth.load_users().get(user)
    if not entry:
        raise KeyError(user)
    now = time.time() if now is None else now
    body = {"u": user, "exp": int(now + hours * 3600), "sid": secrets.token_hex(12),
            "pw": _fingerprint(entry.get("password", ""))}
    payload = _b64(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
    return payload + "." + _b64(hmac.new(_secret(), payload.encode(), hashlib.sha256).digest())


def _claims(token: str) -> dict | None:
    """The token's contents when its signature is right, else None (whatever the input)."""
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 4096:
        return None
    payload, signature = token.split(".")
    expected = _b64(hmac.new(_secret(), payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(signature, expected):
        return None
    try:
        claims = json.loads(_unb64(payload))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def verify(token: str | None, now: float | None = None) -> auth.User | None:
    """The user a cookie stands for, or None: bad signature, expired, revoked, user gone, password changed."""
    claims = _claims(token) if token else None
    if not claims:
        return None
    now = time.time() if now is None else now
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now or claims.get("sid") in _revoked():
        return None
    entry = auth.load_users().get(claims.get("u"))
    if not entry or not hmac.compare_digest(str(claims.get("pw")), _fingerprint(entry.get("password", ""))):
        return None
    role = entry.get("role", "viewer")
    return auth.User(claims["u"], role if role in auth.ROLES else "viewer")


# -- logout: revoked session ids, kept until the cookie would have expired anyway ---------------------
def _revoked_path() -> Path:
    return secret_path().with_name("revoked_sessions.json")


def _revoked() -> dict[str, int]:
    try:
        data = json.loads(_revoked_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def revoke(token: str | None, now: float | None = None) -> bool:
    """Log a session out for good (this cookie and any copy of it). False when the token was not valid."""
    claims = _claims(token) if token else None
    if not claims or not isinstance(claims.get("sid"), str):
        return False
    now = time.time() if now is None else now
    with _lock:
        kept = {sid: exp for sid, exp in _revoked().items() if isinstance(exp, int) and exp > now}
        kept[claims["sid"]] = int(claims.get("exp", now + MAX_HOURS * 3600))
        path = _revoked_path()
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(kept))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    return True


# -- the hand-over from the login form to the cookie ---------------------------------------------------
def issue_code(user: str, hours: float, now: float | None = None) -> str:
    """A one-time code the browser trades for the cookie at /auth/session (valid CODE_SECONDS)."""
    hours = min(max(float(hours), 0.25), MAX_HOURS)
    token = sign(user, hours)
    now = time.monotonic() if now is None else now
    code = secrets.token_urlsafe(24)
    with _lock:
        for old in [c for c, (_, until, _) in _codes.items() if until <= now]:
            del _codes[old]
        _codes[code] = (token, now + CODE_SECONDS, hours * 3600)
    return code


def redeem(code: str, now: float | None = None) -> tuple[str, int] | None:
    """(token, max age in seconds) for a valid unused code; each code works once."""
    now = time.monotonic() if now is None else now
    with _lock:
        found = _codes.pop(code, None) if isinstance(code, str) else None
    if not found or found[1] <= now:
        return None
    return found[0], int(found[2])


def safe_next(path: str | None) -> str:
    """Where to go after the cookie is set: a path on this server only (never //host or a scheme)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or any(
            ord(c) < 32 for c in path):
        return "/"
    return path
