"""Lasting logins: the signed, expiring session cookie (dashboard/sessions.py) and the server routes that
set and clear it (app/server.py; driven over HTTP against the real server in test_browser.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dashboard import auth, sessions
from dashboard import settings as S

ROOT = Path(__file__).resolve().parent.parent
NOW = 1_800_000_000.0


@pytest.fixture
def users(tmp_path, monkeypatch):
    path = tmp_path / "users.toml"
    auth.add_user("lead", "lead-pass-2026", "editor", path)
    auth.add_user("exec", "exec-pass-2026", "viewer", path)
    monkeypatch.setenv("DASHBOARD_USERS", str(path))
    monkeypatch.setenv("DASHBOARD_SECRET_FILE", str(tmp_path / "conf" / "session_secret"))
    return path


def test_a_signed_cookie_names_its_user_until_it_expires(users):
    token = sessions.sign("exec", hours=2, now=NOW)
    assert sessions.verify(token, now=NOW + 3600) == auth.User("exec", "viewer")
    assert sessions.verify(token, now=NOW + 2 * 3600) is None  # expired to the second
    assert sessions.verify(token, now=NOW + 2 * 3600 - 1) is not None


def test_the_secret_lives_outside_the_repository_readable_by_the_app_only(users, tmp_path):
    sessions.sign("lead", hours=1)
    secret = tmp_path / "conf" / "session_secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(secret.read_text()) == 64  # 32 random bytes, hex
    assert not sessions.DEFAULT_SECRET.resolve().is_relative_to(ROOT)


@pytest.mark.parametrize("forge", [
    lambda t: t[:-2] + ("AA" if t[-2:] != "AA" else "BB"),                       # signature changed
    lambda t: sessions._b64(b'{"u":"lead","exp":9999999999,"sid":"x","pw":"y"}') + "." + t.split(".")[1],  # body swapped
    lambda t: t.split(".")[0],                                                   # signature dropped
    lambda t: "",
    lambda t: "a.b.c",
    lambda t: "%%%." + t.split(".")[1],
    lambda t: t + "x" * 5000,
])
def test_a_tampered_cookie_is_nobody(users, forge, reliability):
    token = sessions.sign("exec", hours=1)
    assert sessions.verify(forge(token)) is None
    reliability.count("Access", "forged or tampered session cookies", 1, "each refused (nobody)")


def test_a_cookie_signed_with_another_secret_is_nobody(users, tmp_path, monkeypatch):
    token = sessions.sign("lead", hours=1)
    monkeypatch.setenv("DASHBOARD_SECRET_FILE", str(tmp_path / "other" / "session_secret"))
    assert sessions.verify(token) is None


def test_removing_the_user_or_changing_the_password_ends_their_sessions(users):
    lead, viewer = sessions.sign("lead", hours=1), sessions.sign("exec", hours=1)
    auth.set_password("lead", "new-lead-pass-2026", users)
    assert sessions.verify(lead) is None
    assert sessions.verify(sessions.sign("lead", hours=1)) == auth.User("lead", "editor")  # a new login works
    auth.remove_user("exec", users)
    assert sessions.verify(viewer) is None


def test_the_role_comes_from_the_users_file_not_the_cookie(users):
    token = sessions.sign("exec", hours=1)
    auth.add_user("exec", "exec-pass-2026", "editor", users)  # re-added: new hash, old cookie ends
    assert sessions.verify(token) is None
    token = sessions.sign("exec", hours=1)
    assert sessions.verify(token).role == "editor"


def test_logout_revokes_the_cookie_and_every_copy_of_it(users):
    token, other = sessions.sign("lead", hours=1), sessions.sign("lead", hours=1)
    assert sessions.revoke(token) is True
    assert sessions.verify(token) is None
    assert sessions.verify(other) == auth.User("lead", "editor")  # another browser stays signed in
    assert sessions.revoke("forged.value") is False


def test_revoked_ids_are_forgotten_once_their_cookie_would_have_expired(users):
    old = sessions.sign("lead", hours=1, now=NOW)
    sessions.revoke(old, now=NOW)
    assert len(sessions._revoked()) == 1
    sessions.revoke(sessions.sign("lead", hours=1), now=NOW + 7200)  # the first has expired by then
    assert len(sessions._revoked()) == 1


def test_a_login_code_works_once_and_for_a_minute(users):
    code = sessions.issue_code("lead", hours=8, now=100.0)
    token, max_age = sessions.redeem(code, now=159.0)
    assert max_age == 8 * 3600 and sessions.verify(token) == auth.User("lead", "editor")
    assert sessions.redeem(code, now=160.0) is None  # used
    late = sessions.issue_code("lead", hours=8, now=100.0)
    assert sessions.redeem(late, now=160.0) is None  # expired
    assert sessions.redeem("made-up") is None


@pytest.mark.parametrize(("wanted", "safe"), [
    ("/churn?tier=Tier1", "/churn?tier=Tier1"), ("//evil.example/x", "/"), ("https://evil.example", "/"),
    ("/\\evil.example", "/"), ("javascript:alert(1)", "/"), ("/ok\r\nSet-Cookie: x=1", "/"), (None, "/"),
])
def test_after_login_the_browser_returns_to_this_server_only(wanted, safe):
    assert sessions.safe_next(wanted) == safe


def test_session_length_and_limits_are_settings_an_editor_sets_within_bounds(db):
    assert S.get(db, "session_hours") == 168
    S.put(db, "session_hours", 12, by=auth.LOCAL_USER)
    assert S.get(db, "session_hours") == 12
    with pytest.raises(ValueError, match="session_hours"):
        S.put(db, "session_hours", 0, by=auth.LOCAL_USER)
    with pytest.raises(ValueError, match="import_limits.max_columns"):
        S.put(db, "import_limits", {"max_columns": 1}, by=auth.LOCAL_USER)
    with pytest.raises(ValueError, match="unknown limit 'rm -rf'"):
        S.put(db, "import_limits", {"rm -rf": 5}, by=auth.LOCAL_USER)
    with pytest.raises(auth.NotAllowed):
        S.put(db, "session_hours", 24, by=auth.User("exec", "viewer"))
    assert S.get(db, "session_hours") == 12  # nothing refused was stored
