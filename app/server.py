"""The server: Streamlit's app (app/main.py) plus the two HTTP routes a lasting login needs, and a guard on
the raw HTTP endpoints that do not pass through the page script's login gate.

- ``/auth/session?code=…&next=…`` trades the one-time code of a successful login for the signed session
  cookie (HttpOnly, SameSite=Lax) and returns to the page; ``/auth/logout`` clears it.
- With users configured, downloads (``/media/…``) need a valid session cookie and uploads
  (``/_stcore/upload_file/…``) an editor's: a link copied out of a session, or a script talking HTTP to
  the server, gets 403 instead of the file.

Run with ``streamlit run app/server.py`` (scripts/start.sh does).
"""

import html
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse
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


# The pages' URL paths (app/main.py declares them; tests/test_browser.py checks the two agree). The
# Overview is the default page: Streamlit serves it at the root only.
PAGE_PATHS = ("overview", "accounts", "account", "drill", "tiers", "health", "churn", "d2c", "simulator", "data")
# First segments Streamlit and this server serve themselves: never a page path.
_OWN = {"_stcore", "static", "media", "component", "app", "auth", "favicon.png", "manifest.json", "robots.txt"}
_NOT_FOUND = {
    "ja": ("ページが見つかりません", "{path} というページはありません。", "概要へ"),
    "en": ("Page not found", "There is no page at {path}.", "Go to the Overview"),
}


def _lang(request: Request) -> str:
    wanted = request.query_params.get("lang")
    if wanted in _NOT_FOUND:
        return wanted
    accept = request.headers.get("accept-language", "ja").strip().lower()
    return "en" if accept.startswith("en") else "ja"


class PagePaths:
    """Every path either opens the right page or says "not found" in the user's language. Streamlit serves
    its app at any path and, for one it does not know, shows an English "Page not found" over the default
    page; a path of two segments (``/pages/tiers``, an old-style page link) loads the app's assets relative
    to it and stays a blank white page. Here: ``/overview`` goes to the root (the Overview), ``/pages/<page>``
    and ``/<page>/`` to ``/<page>``, and any other path gets a short page in Japanese or English."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            path = scope.get("path", "/")
            parts = [p for p in path.split("/") if p]
            if parts and parts[0] not in _OWN and "." not in parts[-1]:
                request = Request(scope)
                query = f"?{urlencode(list(request.query_params.multi_items()))}" if request.query_params else ""
                if len(parts) == 2 and parts[0] == "pages" and parts[1] in PAGE_PATHS:
                    parts = parts[1:]
                if len(parts) == 1 and parts[0] in PAGE_PATHS:
                    target = "/" if parts[0] == "overview" else f"/{parts[0]}"
                    if target != path:
                        await RedirectResponse(target + query, status_code=307)(scope, receive, send)
                        return
                else:
                    lang = _lang(request)
                    title, text, back = _NOT_FOUND[lang]
                    body = (f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>{title}</title>'
                            '<body style="font-family:sans-serif;margin:3rem">'
                            f"<h1>{title}</h1><p>{html.escape(text.format(path=path))}</p>"
                            f'<p><a href="/">{back}</a></p></body></html>')
                    await HTMLResponse(body, status_code=404)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


app = st.App(
    MAIN,
    routes=[Route("/auth/session", start_session), Route("/auth/logout", end_session)],
    middleware=[Middleware(GuardRawEndpoints), Middleware(PagePaths)],
)
