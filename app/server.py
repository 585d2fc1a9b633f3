"""The server: Streamlit's app (app/main.py) plus the two HTTP routes a lasting login needs, and a guard on
the raw HTTP endpoints that do not pass through the page script's login gate.

- ``/auth/session?code=…&next=…`` trades the one-time code of a successful login for the signed session
  cookie (HttpOnly, SameSite=Lax) and returns to the page; ``/auth/logout`` clears it.
- With users configured, downloads (``/media/…``) need a valid session cookie and uploads
  (``/_stcore/upload_file/…``) an editor's: a link copied out of a session, or a script talking HTTP to
  the server, gets 403 instead of the file.

Run with ``streamlit run app/server.py`` (scripts/start.sh does).
"""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route

from dashboard import auth, sessions

MAIN = Path(__file__).resolve().parent / "main.py"


async def start_session(request: Request) -> RedirectResponse | PlainTextResponse:
    redeemed = sessions.redeem(request.query_params.get("code", ""))
    if redeemed is None:
        return PlainTextResponse("This login link has expired or was used. / ログインの有効期限が切れています。",
                                 status_code=400)
    token, max_age = redeemed
    response = RedirectResponse(sessions.safe_next(request.query_params.get("next")), status_code=303)
    response.set_cookie(sessions.COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    response.headers["Cache-Control"] = "no-store"
    return response


async def end_session(request: Request) -> RedirectResponse:
    sessions.revoke(request.cookies.get(sessions.COOKIE))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


class GuardRawEndpoints:
    """Downloads and uploads are plain HTTP, outside the page script: check the session cookie here."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            path = scope.get("path", "")
            needs = "editor" if path.startswith("/_stcore/upload_file") else "viewer" if path.startswith("/media/") \
                else None
            if needs and auth.load_users():
                user = sessions.verify(Request(scope).cookies.get(sessions.COOKIE))
                if user is None or (needs == "editor" and not user.can_edit):
                    await PlainTextResponse("Forbidden", status_code=403)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


app = st.App(
    MAIN,
    routes=[Route("/auth/session", start_session), Route("/auth/logout", end_session)],
    middleware=[Middleware(GuardRawEndpoints)],
)
