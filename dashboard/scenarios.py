"""The simulator's saved scenarios: named sets of its drivers, kept in the database so that they outlive a
browser session and every user of the workspace sees them. Editors save and delete (checked here, whoever
calls); everybody may list and load them. A scenario changes no figure: it is written without a new data
version, so nothing computed is thrown away."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from dashboard import auth
from dashboard.db import Database

MAX_NAME = 100


@dataclass(frozen=True)
class Scenario:
    name: str
    state: dict[str, Any]  # the drivers as saved (read them through simulator.drivers_from)
    saved_by: str
    saved_at: dt.datetime


def clean_name(name: str) -> str:
    """The name a scenario is saved under (spaces around it dropped); ValueError when empty or too long."""
    name = (name or "").strip()
    if not name:
        raise ValueError("a scenario needs a name")
    if len(name) > MAX_NAME:
        raise ValueError(f"a scenario name can have at most {MAX_NAME} characters")
    return name


def save(db: Database, name: str, state: dict[str, Any], *, by: auth.User) -> str:
    """Save ``state`` under ``name`` (replacing a scenario of that name); editors only. Returns the name."""
    auth.require_editor(by)
    name = clean_name(name)
    text = json.dumps(state, ensure_ascii=False)

    def put(con) -> None:
        con.execute("INSERT OR REPLACE INTO scenarios VALUES (?, ?::JSON, ?, now()::TIMESTAMP)", [name, text, by.name])
    db.write(put)  # no bump: no figure depends on a scenario
    return name


def list_all(db: Database) -> list[Scenario]:
    """Every saved scenario, oldest first."""
    rows = db.read(lambda con: con.execute(
        "SELECT name, state, saved_by, saved_at FROM scenarios ORDER BY saved_at, name").fetchall())
    return [Scenario(name, json.loads(state), by, at) for name, state, by, at in rows]


def delete(db: Database, name: str, *, by: auth.User) -> bool:
    """Delete the scenario ``name``; editors only. Whether there was one."""
    auth.require_editor(by)

    def drop(con) -> bool:
        return con.execute("DELETE FROM scenarios WHERE name = ? RETURNING name", [name]).fetchone() is not None
    return db.write(drop)
