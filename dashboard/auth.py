"""Access: with no users file the app runs for one local editor; with one, everybody logs in.

Users live in a TOML file (``data/users.toml`` or ``$DASHBOARD_USERS``), written by
``python -m dashboard user add NAME --role editor|viewer``. Passwords are stored as PBKDF2-SHA256.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROLES = ("viewer", "editor")
DEFAULT_USERS = Path(__file__).resolve().parent.parent / "data" / "users.toml"
ITERATIONS = 200_000
MIN_PASSWORD_LENGTH = 12
# After MAX_FAILURES failed logins for one name within LOCK_SECONDS, that name is locked for LOCK_SECONDS
# (a correct password included): guessing costs a quarter of an hour per five tries.
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def can_edit(self) -> bool:
        return self.role == "editor"


LOCAL_USER = User("local", "editor")


class NotAllowed(PermissionError):
    """An action reserved to editors was attempted by a viewer."""


def users_path() -> Path:
    return Path(os.environ.get("DASHBOARD_USERS") or DEFAULT_USERS)


def load_users(path: Path | None = None) -> dict[str, dict]:
    path = path or users_path()
    if not path.exists():
        return {}
    return tomllib.loads(path.read_text(encoding="utf-8")).get("users", {})


def hash_password(password: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), ITERATIONS).hex()
    return f"pbkdf2_sha256${ITERATIONS}${salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations)).hex()
    return hmac.compare_digest(candidate, digest)


class Locked(PermissionError):
    """Too many failed logins for this name: try again later."""

    def __init__(self, seconds: int):
        super().__init__(f"locked for {seconds} s")
        self.seconds = seconds


class _Failures:
    """Failed logins per user name in this process (the app is one process; the CLI does not log in)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[str, list[float]] = {}

    def locked_for(self, name: str, now: float) -> int:
        with self._lock:
            recent = [t for t in self._times.get(name, []) if now - t < LOCK_SECONDS]
            self._times[name] = recent
            if len(recent) >= MAX_FAILURES:
                return int(LOCK_SECONDS - (now - recent[-1])) + 1
            return 0

    def failed(self, name: str, now: float) -> None:
        with self._lock:
            self._times.setdefault(name, []).append(now)

    def clear(self, name: str) -> None:
        with self._lock:
            self._times.pop(name, None)


FAILURES = _Failures()


def authenticate(name: str, password: str, path: Path | None = None, now: float | None = None) -> User | None:
    """The user, or None for a wrong name or password; raises Locked after too many failures for the name
    (unknown names are counted too, so the answer does not tell which names exist)."""
    now = time.monotonic() if now is None else now
    wait = FAILURES.locked_for(name, now)
    if wait:
        raise Locked(wait)
    entry = load_users(path).get(name)
    if not entry or not verify_password(password, entry.get("password", "")):
        FAILURES.failed(name, now)
        return None
    FAILURES.clear(name)
    role = entry.get("role", "viewer")
    return User(name, role if role in ROLES else "viewer")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _write(users: dict[str, dict], path: Path) -> Path:
    lines = ["# Dashboard users. Written by `python -m dashboard user`; passwords are PBKDF2 hashes.", ""]
    for user, entry in sorted(users.items()):
        lines += [f'[users."{user}"]', f'role = "{entry["role"]}"', f'password = "{entry["password"]}"', ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.chmod(tmp, 0o600)  # password hashes: readable by the app's account only
    os.replace(tmp, path)  # never half a file
    return path


def add_user(name: str, password: str, role: str, path: Path | None = None) -> Path:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if not name or any(c in name for c in '"\\\n[]='):
        raise ValueError("user names may not contain quotes, brackets, '=' or new lines")
    check_password(password)
    path = path or users_path()
    users = load_users(path)
    users[name] = {"role": role, "password": hash_password(password)}
    return _write(users, path)


def list_users(path: Path | None = None) -> list[dict]:
    return [{"user": name, "role": entry.get("role", "viewer")} for name, entry in sorted(load_users(path).items())]


def remove_user(name: str, path: Path | None = None) -> Path:
    path = path or users_path()
    users = load_users(path)
    if name not in users:
        raise KeyError(name)
    del users[name]
    return _write(users, path)


def set_password(name: str, password: str, path: Path | None = None) -> Path:
    check_password(password)
    path = path or users_path()
    users = load_users(path)
    if name not in users:
        raise KeyError(name)
    users[name] = {**users[name], "password": hash_password(password)}
    return _write(users, path)


def require_editor(user: User | None) -> None:
    """Called by every write action on the server, whatever the page shows."""
    if user is None or not user.can_edit:
        raise NotAllowed("only editors may change data or settings")
