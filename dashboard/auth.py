"""Access: with no users file the app runs for one local editor; with one, everybody logs in.

Users live in a TOML file (``data/users.toml`` or ``$DASHBOARD_USERS``), written by
``python -m dashboard user add NAME --role editor|viewer``. Passwords are stored as PBKDF2-SHA256.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROLES = ("viewer", "editor")
DEFAULT_USERS = Path(__file__).resolve().parent.parent / "data" / "users.toml"
ITERATIONS = 200_000


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


def authenticate(name: str, password: str, path: Path | None = None) -> User | None:
    entry = load_users(path).get(name)
    if not entry or not verify_password(password, entry.get("password", "")):
        return None
    role = entry.get("role", "viewer")
    return User(name, role if role in ROLES else "viewer")


def add_user(name: str, password: str, role: str, path: Path | None = None) -> Path:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if not name or any(c in name for c in '"\\\n[]='):
        raise ValueError("user names may not contain quotes, brackets, '=' or new lines")
    path = path or users_path()
    users = load_users(path)
    users[name] = {"role": role, "password": hash_password(password)}
    lines = ["# Dashboard users. Written by `python -m dashboard user add`; passwords are PBKDF2 hashes.", ""]
    for user, entry in sorted(users.items()):
        lines += [f'[users."{user}"]', f'role = "{entry["role"]}"', f'password = "{entry["password"]}"', ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def require_editor(user: User | None) -> None:
    """Called by every write action on the server, whatever the page shows."""
    if user is None or not user.can_edit:
        raise NotAllowed("only editors may change data or settings")
