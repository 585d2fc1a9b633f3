"""The whole app in a real browser: Playwright driving Debian's chromium against a server started the
way the README does (scripts/start.sh). Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from dashboard import auth, sessions

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path) -> tuple[subprocess.Popen, str]:
    """The app as the README starts it (scripts/start.sh: demo data into an empty database), with the
    users lead (editor) and exec (viewer), on a free port of 127.0.0.1."""
    users = tmp / "users.toml"
    auth.add_user("lead", "lead-pass-2026", "editor", users)
    auth.add_user("exec", "exec-pass-2026", "viewer", users)
    port = free_port()
    env = {**os.environ, "DASHBOARD_DB": str(tmp / "app.duckdb"), "DASHBOARD_USERS": str(users)}
    log = open(tmp / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(["bash", "scripts/start.sh", "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError((tmp / "server.log").read_text())


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, 15)
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    proc, url = start_server(tmp)
    yield {"url": url, "tmp": tmp}
    stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished running the script and drawn what it sent: the running
    indicator shows only after a moment, so give it that moment, then wait for it and for every
    placeholder (a skeleton where a chart or metric is still coming) to be gone."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_timeout(400)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]') "
        "&& !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=timeout)
    page.wait_for_timeout(600)


def login(page, url: str, name: str, password: str, path: str = "") -> None:
    page.goto(f"{url}/{path}")
    page.wait_for_selector("input[type=password]", timeout=60_000)
    page.locator("input[type=text]").first.fill(name)
    page.locator("input[type=password]").fill(password)
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    wait_for_cookie(page)
    page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
    wait_idle(page)


def wait_for_cookie(page, timeout: float = 60) -> None:
    """A login sends the browser through /auth/session for its cookie, then back to the page."""
    deadline = time.monotonic() + timeout
    while not any(c["name"] == sessions.COOKIE for c in page.context.cookies()):
        assert time.monotonic() < deadline, "no session cookie after login"
        page.wait_for_timeout(200)
    page.wait_for_url(lambda u: "/auth/" not in u, timeout=60_000)


def http(url: str, method: str = "GET", cookie: str | None = None, data: bytes | None = None) -> tuple[int, bytes]:
    """A plain HTTP request (no browser): how a script would drive the server."""
    request = urllib.request.Request(url, method=method, data=data,
                                     headers={"Cookie": f"{sessions.COOKIE}={cookie}"} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def goto(page, slug: str) -> None:
    """Navigate inside the session (a full page load would start a new, logged-out session)."""
    order = ["overview", "accounts", "account", "tiers", "health", "churn", "d2c", "simulator", "data"]
    page.locator('[data-testid="stSidebarNav"] a').nth(order.index(slug)).click()
    if slug != "overview":  # the default page's URL is the root
        page.wait_for_url(f"**/{slug}**", timeout=30_000)
    wait_idle(page)


def shots_in_both_languages(page, name: str, full: bool = False) -> None:
    """Screenshots of the page open at 1440 and 1024 px in Japanese, then English (left in English)."""
    for lang, width in (("ja", 1440), ("ja", 1024), ("en", 1024), ("en", 1440)):
        if lang == "en" and page.get_by_text("English", exact=True).count():
            page.get_by_text("English", exact=True).first.click()
            wait_idle(page)
        page.set_viewport_size({"width": width, "height": 900})
        wait_idle(page)
        page.screenshot(path=str(SHOTS / f"{lang}_{width}_{name}.png"))
        if full:
            page.set_viewport_size({"width": width, "height": 2600})
            page.wait_for_timeout(800)
            page.screenshot(path=str(SHOTS / f"{lang}_{width}_{name}_full.png"))


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


def test_no_page_without_login(server, browser, reliability):
    """Every URL, the pages' own included, shows the login form or nothing: never a page's data."""
    page = browser.new_page()
    for path in ("", "tiers", "data", "health?lang=en", "simulator?sim_aov=9000"):
        page.goto(f"{server['url']}/{path}")
        page.wait_for_selector("input[type=password]", timeout=60_000)
        wait_idle(page)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        assert page.locator('[data-testid="stMetric"]').count() == 0
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
    for path in ("pages/tiers", "pages/tiers.py", "app/pages/data"):  # legacy-style URLs: a blank shell
        page.goto(f"{server['url']}/{path}")
        page.wait_for_timeout(4000)
        assert page.locator('[data-testid="stMetric"]').count() == 0
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
        assert page.locator('[data-testid="stFileUploaderDropzoneInput"]').count() == 0
    reliability.count("Access", "anonymous page loads (pages and legacy page URLs)", 8,
                      "login form or a blank shell; no data, no uploader")
    page.close()


def test_editor_uploads_cp932_and_visits_every_page(server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="ja-JP")  # Japanese by default
    login(page, server["url"], "lead", "lead-pass-2026")
    goto(page, "data")
    # next month's CP932 export: the demo's accounts plus one new account and one unreadable row
    exported = next((server["tmp"] / "demo").glob("顧客一覧*.csv")).read_bytes().rstrip(b"\r\n")
    csv = server["tmp"] / "顧客_追加.csv"
    csv.write_bytes(exported + "\r\nZ001,株式会社①髙﨑,製造業,山﨑,プロ,\"￥250,000\",2026/10/1,2027/10/1,,契約中,紹介,\r\n"
                    "Z002,髙島屋テスト,小売,佐藤,ライト,abc,2026/10/1,,,契約中,紹介,\r\n".encode("cp932"))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
    wait_idle(page)
    page.get_by_text("Shift_JIS（CP932）").first.wait_for(timeout=30_000)  # the encoding it found, in words
    assert page.get_by_text("取り込めない行: 1行").count() == 1
    page.screenshot(path=str(SHOTS / "ja_1440_data_upload.png"), full_page=True)
    page.get_by_role("button", name="この内容で取り込む").click()
    wait_idle(page)
    page.get_by_text("顧客_追加.csv を取り込みました").wait_for(timeout=30_000)
    no_exception(page)
    server["loaded"] = True
    allowed = demo_words(server["tmp"] / "demo") | {"lead"}  # the user's own data, and the login name
    english = {}
    for lang, label in (("ja", "English"), ("en", "日本語")):
        for width in (1440, 1024):
            page.set_viewport_size({"width": width, "height": 900})
            for slug in ("overview", "accounts", "tiers", "health", "churn", "d2c", "simulator", "data"):
                goto(page, slug)
                no_exception(page)
                if lang == "ja" and width == 1440:
                    english.update({f"{slug}: {w}": text for w, text in english_words(page, allowed).items()})
                page.screenshot(path=str(SHOTS / f"{lang}_{width}_{slug}.png"))  # what a user sees first
                page.set_viewport_size({"width": width, "height": 3200})  # Streamlit scrolls inside: grow to see all
                page.wait_for_timeout(800)
                page.screenshot(path=str(SHOTS / f"{lang}_{width}_{slug}_full.png"))
                page.set_viewport_size({"width": width, "height": 900})
        # the session keeps its language: switch it for the next round
        page.get_by_text(label, exact=True).first.click()
        wait_idle(page)
    page.close()
    # what the browser shows, Streamlit's own widgets and Plotly's drawn ticks included (AppTest sees neither)
    assert not english, english


def demo_words(folder: Path) -> set[str]:
    """ASCII words in the demo's exports (names, plans, channels) and their file names."""
    from test_japanese_ui import WORD

    words = set()
    for path in folder.iterdir():
        words |= set(WORD.findall(path.name))
        if path.suffix == ".csv":
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("cp932")
            words |= set(WORD.findall(text))
    return words


def english_words(page, allowed: set[str]) -> dict[str, str]:
    """ASCII words on the page (the sidebar, the main area, the text Plotly draws) that are neither
    units nor abbreviations the UI keeps, nor the user's own data: word -> where it was seen."""
    from test_japanese_ui import ALLOWED, words

    text = page.evaluate("""() => [...['stSidebar', 'stMain'].map(id => {
            const part = document.querySelector(`[data-testid="${id}"]`);
            if (!part) return '';
            const copy = part.cloneNode(true);  // icons are ligature names ('upload'), drawn, not read
            copy.querySelectorAll('[translate="no"][aria-hidden="true"]').forEach(icon => icon.remove());
            document.body.appendChild(copy);  // innerText needs the copy laid out
            const words = copy.innerText;
            copy.remove();
            return words;
        }),
        ...Array.from(document.querySelectorAll('.main-svg text')).map(t => t.textContent)].join(String.fromCharCode(10))""")
    found = {}
    for line in text.splitlines():
        for word in words(line):
            if word not in ALLOWED | allowed:
                found.setdefault(word, line[:80])
    return found


def test_viewer_reads_but_cannot_upload(server, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    login(page, server["url"], "exec", "exec-pass-2026")
    goto(page, "data")
    assert page.locator('[data-testid="stFileUploaderDropzoneInput"]').count() == 0
    assert page.get_by_text("閲覧者はデータの取り込み").count() + page.get_by_text("Viewers cannot").count() >= 1
    goto(page, "overview")
    assert page.locator('[data-testid="stMetric"]').count() == 8
    page.screenshot(path=str(SHOTS / "viewer_overview.png"), full_page=True)
    page.close()


def cards(page) -> dict[str, str]:
    """The Overview's KPI cards as label -> value, as drawn."""
    out = {}
    for metric in page.locator('[data-testid="stMetric"]').all():
        label = metric.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        out[label] = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return out


def test_filters_from_the_sidebar_change_every_card_and_the_link(server, browser):
    """The filters sit in a popover under a summary of the view in force: choosing Tier1 there changes the
    cards, the summary and the URL, stays on while moving between pages, and the URL alone reproduces it."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="ja-JP")
    page = context.new_page()
    login(page, server["url"], "exec", "exec-pass-2026")
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text("すべての顧客").count() == 1
    everyone = cards(page)
    sidebar.get_by_role("button", name="条件を変える").click()
    tiers = page.locator('[data-testid="stPopoverBody"] [data-testid="stMultiSelect"]').first
    tiers.wait_for(state="visible")
    page.wait_for_timeout(500)  # the popover's opening animation
    tiers.click()
    page.locator('[role="option"]').filter(has_text="Tier1").click()
    wait_idle(page)
    page.keyboard.press("Escape")
    page.mouse.click(900, 120)  # outside: the popover closes
    no_exception(page)
    assert "tier=Tier1" in page.url
    assert sidebar.get_by_text("ティア: Tier1").count() == 1 and sidebar.get_by_text("すべての顧客").count() == 0
    tier1 = cards(page)
    page.screenshot(path=str(SHOTS / "ja_1440_overview_tier1.png"))
    assert int(tier1["有効顧客数"].replace(",", "")) < int(everyone["有効顧客数"].replace(",", ""))
    assert tier1["MRR"] != everyone["MRR"]
    goto(page, "tiers")  # the filter follows the user from page to page
    assert "tier=Tier1" in page.url and sidebar.get_by_text("ティア: Tier1").count() == 1
    shared = context.new_page()  # the link, opened fresh: the same view
    shared.goto(f"{server['url']}/?tier=Tier1")
    wait_idle(shared)
    assert cards(shared) == tier1
    shared.close()
    context.close()


HOSTILE = [
    "churn?from=2023-04-01", "churn?as_of=2020-01-01", "churn?as_of=garbage&from=9999-99-99",
    "simulator?sim_aov=999999", "simulator?sim_churn=0", "simulator?sim_purchases=garbage",
    "overview?tier=Tier1", "tiers?tier=Tier9&owner=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "health?plan=%27%3B%20DROP%20TABLE%20accounts%3B--&lang=xx", "data?as_of=2099-12-31",
]


def test_hostile_links_never_crash_a_page(server, browser):
    """Out-of-range, malformed and unknown query parameters and paths: every page still draws, no exception."""
    page = browser.new_page(viewport={"width": 1024, "height": 900})
    login(page, server["url"], "exec", "exec-pass-2026")
    for i, path in enumerate(HOSTILE):
        page.goto(f"{server['url']}/{path}")
        page.wait_for_selector('input[type=password], [data-testid="stSidebarNav"]', timeout=60_000)
        assert page.locator("input[type=password]").count() == 0, "the login did not last"
        try:
            wait_idle(page)
        except Exception:
            page.screenshot(path=str(SHOTS / "hostile_link_failed.png"))
            raise AssertionError(f"{path} never finished drawing") from None
        no_exception(page)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 1, path
        if path.startswith("overview") and server.get("loaded"):  # /overview is the Overview, filter kept
            assert page.locator('[data-testid="stMetric"]').count() == 8
            assert "tier=Tier1" in page.url
        if i == 1:
            page.screenshot(path=str(SHOTS / "hostile_link_churn.png"))
    page.close()


def test_a_login_lasts_across_reloads_and_bookmarks_until_logout(server, browser, reliability):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    page = context.new_page()
    login(page, server["url"], "exec", "exec-pass-2026", "churn?tier=Tier1")
    assert "/churn?tier=Tier1" in page.url  # back where the login started, filter kept
    (cookie,) = [c for c in context.cookies() if c["name"] == sessions.COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert 7 * 24 * 3600 - 120 < cookie["expires"] - time.time() <= 7 * 24 * 3600  # setting session_hours
    assert page.evaluate("document.cookie").find(sessions.COOKIE) == -1  # page scripts cannot read it
    page.reload()
    wait_idle(page)
    assert page.locator("input[type=password]").count() == 0 and "tier=Tier1" in page.url
    bookmark = context.new_page()  # a bookmark opened in a new tab
    bookmark.goto(f"{server['url']}/accounts")
    wait_idle(bookmark)
    assert bookmark.locator("input[type=password]").count() == 0
    assert bookmark.get_by_text("exec", exact=False).count() >= 1
    bookmark.close()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_selector("input[type=password]", timeout=60_000)
    assert not [c for c in context.cookies() if c["name"] == sessions.COOKIE]
    page.goto(f"{server['url']}/churn")
    page.wait_for_selector("input[type=password]", timeout=60_000)
    # the cookie copied before logout (another machine, a stolen copy) is dead on the server too
    thief = browser.new_context()
    thief.add_cookies([cookie])
    stolen = thief.new_page()
    stolen.goto(f"{server['url']}/overview")
    stolen.wait_for_selector("input[type=password]", timeout=60_000)
    wait_idle(stolen)
    assert stolen.locator('[data-testid="stMetric"]').count() == 0
    reliability.count("Access", "cookie copied before logout, replayed after it", 1, "login form, no data")
    thief.close()
    context.close()


def test_driving_the_server_without_the_right_role_is_refused(server, browser, reliability):
    """Not buttons hidden but requests refused: an anonymous script and a viewer's cookie against the raw
    endpoints (downloads, uploads, the login routes)."""
    url = server["url"]
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    page = context.new_page()
    login(page, url, "exec", "exec-pass-2026", "accounts")
    with page.expect_download() as caught:
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    download = caught.value.url
    assert "/media/" in download
    viewer = next(c["value"] for c in context.cookies() if c["name"] == sessions.COOKIE)
    assert http(download, cookie=viewer)[0] == 200  # a viewer may read what the page shows
    assert http(download)[0] == 403  # the same link without a session: refused
    assert http(download, cookie=viewer[:-4] + "AAAA")[0] == 403  # forged signature
    upload = f"{url}/_stcore/upload_file/session/widget"
    assert http(upload, "PUT", data=b"x")[0] == 403
    assert http(upload, "PUT", cookie=viewer, data=b"x")[0] == 403  # viewers never upload
    assert http(f"{url}/auth/session?code=made-up")[0] == 400
    assert http(f"{url}/auth/session?code=")[0] == 400
    reliability.count("Access", "raw HTTP requests without the right role", 6,
                      "download without a session / with a forged cookie, upload anonymous / as viewer, "
                      "made-up and empty login codes: 403 or 400")
    context.close()


def test_the_call_list_download_is_the_filtered_list(server, browser):
    """The call list's CSV is written when its button is pressed, after the script run: it once ignored the
    sidebar's filters there (100 rows for all six owners where the page listed 12 of 田中's)."""
    import csv
    import io
    import urllib.parse

    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="ja-JP", accept_downloads=True)
    page = context.new_page()
    login(page, server["url"], "exec", "exec-pass-2026")
    page.goto(f"{server['url']}/accounts?owner={urllib.parse.quote('田中')}")
    wait_idle(page)
    no_exception(page)
    listed = int(cards(page)["対象の顧客"].replace(",", ""))
    assert listed > 0
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="連絡リストをCSVでダウンロード").click()
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_bytes().decode("utf-8-sig"))))
    header, body = rows[0], [r for r in rows[1:] if r]
    assert len(body) == listed
    assert "会社名" in header and "担当CSM" in header and "account_id" not in header  # headers in Japanese
    owner = header.index("担当CSM")
    assert {r[owner] for r in body} == {"田中"}
    band = header.index("区分")
    assert {r[band] for r in body} <= {"赤（要注意）", "黄", "緑（良好）", ""}  # bands in words, not 'red'
    context.close()


def test_every_path_opens_its_page_or_says_not_found(server, browser):
    """/overview (the Overview's declared path) showed Streamlit's English 'Page not found' in the Japanese
    UI; /pages/tiers (an old-style link) was a blank white page (its assets were looked up under /pages/)."""
    import re

    from app.server import PAGE_PATHS

    declared = re.findall(r'url_path="([a-z0-9_]+)"', (ROOT / "app" / "main.py").read_text())
    assert sorted(declared) == sorted(PAGE_PATHS)
    url = server["url"]
    code, body = http(f"{url}/no-such-page")
    assert code == 404 and "ページが見つかりません" in body.decode()
    request = urllib.request.Request(f"{url}/pages/nothing/here", headers={"Accept-Language": "en-US,en"})
    try:
        urllib.request.urlopen(request, timeout=30)
        raise AssertionError("expected 404")
    except urllib.error.HTTPError as exc:
        assert exc.code == 404 and "Page not found" in exc.read().decode()
    assert http(f"{url}/_stcore/health") == (200, b"ok")  # Streamlit's own routes untouched
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="ja-JP")
    page = context.new_page()
    login(page, url, "exec", "exec-pass-2026")
    for path, title in (("overview", "概要"), ("pages/tiers", "ティア分析"), ("churn/", "解約・継続"),
                        ("overview?lang=en", "Overview")):
        page.goto(f"{url}/{path}")
        wait_idle(page)
        no_exception(page)
        assert page.locator("h1").first.inner_text().strip() == title, path
        assert page.get_by_text("Page not found").count() == 0
    context.close()


def test_a_search_or_a_row_of_the_call_list_opens_the_account_page(server, browser):
    """From the sidebar's search to an account's page, and from a row of the call list to its account's page;
    the page read in both languages at 1024 and 1440 px."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="ja-JP")
    login(page, server["url"], "lead", "lead-pass-2026")
    page.get_by_label("顧客を検索").fill("東和")
    page.get_by_label("顧客を検索").press("Enter")
    wait_idle(page)
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="東和ロジスティクス株式会社").click()
    page.wait_for_url("**/account?**account=C20005**", timeout=30_000)
    wait_idle(page)
    no_exception(page)
    assert page.locator("h1").first.inner_text().strip() == "東和ロジスティクス株式会社"
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 3  # MRR, health history, usage
    shots_in_both_languages(page, "account", full=True)
    page.get_by_text("日本語", exact=True).first.click()
    wait_idle(page)
    page.set_viewport_size({"width": 1440, "height": 900})
    # the call list: a click on its first row opens that row's account (the grid's accessible cells name it)
    goto(page, "accounts")
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=30_000)
    first = grid.locator("#glide-cell-1-0").text_content().strip()  # column 0 is the row's selection box
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box, under the header
    page.wait_for_url("**/account?**account=**", timeout=30_000)
    wait_idle(page)
    no_exception(page)
    assert page.locator("h1").first.inner_text().strip() == first
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 1
    # back on the list, nothing is still selected: it stays on the list
    goto(page, "accounts")
    page.wait_for_timeout(1500)
    assert "/accounts" in page.url and page.locator("h1").first.inner_text().strip() == "要対応"
    page.close()


def test_a_waterfall_bar_opens_its_accounts_and_each_opens_its_page(server, browser):
    """Overview → a click on the waterfall's churn bar → the accounts behind it (the list's total equal to the
    bar) → a row opens its account → back to the list; the drill page read in both languages at 1024 and
    1440 px."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="ja-JP")
    login(page, server["url"], "lead", "lead-pass-2026")
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="MRRの増減内訳").first
    chart.scroll_into_view_if_needed()
    bars = chart.locator("g.trace g.point path")
    assert bars.count() == 8  # start, new, reactivation, expansion, contraction, churn, fx (the USD customer), end
    bars.nth(5).click(force=True)  # churn
    page.wait_for_url("**/drill?**col=churn**", timeout=30_000)
    wait_idle(page)
    no_exception(page)
    assert page.locator("h1").first.inner_text().strip().startswith("MRRの増減：解約（")
    values = [v.inner_text().strip() for v in page.locator('[data-testid="stMetricValue"]').all()]
    assert values[0] == values[1] == "¥140,000"  # October's churn (the bar), worked out again from the list
    shots_in_both_languages(page, "drill")
    page.get_by_text("日本語", exact=True).first.click()
    wait_idle(page)
    page.set_viewport_size({"width": 1440, "height": 900})
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=30_000)
    first = grid.locator("#glide-cell-1-0").text_content().strip()  # column 0 is the row's selection box
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
    page.wait_for_url("**/account?**account=**", timeout=30_000)
    wait_idle(page)
    no_exception(page)
    assert page.locator("h1").first.inner_text().strip() == first
    # a note on the account: kept with who wrote it, shown in its history
    page.get_by_label("メモ", exact=True).fill("解約理由を確認、予算削減とのこと")
    page.get_by_role("button", name="メモを追加").click()
    wait_idle(page)
    no_exception(page)
    assert page.get_by_text("解約理由を確認、予算削減とのこと").count() >= 1
    page.screenshot(path=str(SHOTS / "ja_1440_account_note.png"), full_page=True)
    page.go_back()
    page.wait_for_url("**/drill?**", timeout=30_000)
    wait_idle(page)
    no_exception(page)
    assert page.locator("h1").first.inner_text().strip().startswith("MRRの増減：解約（")
    page.get_by_role("link", name="概要に戻る").click()
    page.wait_for_url(lambda u: "/drill" not in u, timeout=30_000)
    wait_idle(page)
    assert page.locator("h1").first.inner_text().strip() == "概要"
    page.close()


def test_a_viewer_cannot_record_work_through_the_websocket(server, browser):
    """Not a button hidden but a write refused: the viewer's own websocket carries a forged press of the
    account page's 「完了にする」 (its widget id taken from the editor's page); nothing is recorded. The same
    forged message from the editor's session does record it, so the forgery itself works."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    account = "C20003"

    def open_account(name: str, password: str):
        page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="ja-JP")
        seen = {"state": None, "button": None, "server": None}

        def route(ws):
            upstream = ws.connect_to_server()
            seen["server"] = upstream

            def from_page(message):
                if isinstance(message, bytes):
                    back = BackMsg()
                    back.ParseFromString(message)
                    if back.HasField("rerun_script"):
                        seen["state"] = back.rerun_script
                upstream.send(message)

            def from_server(message):
                if isinstance(message, bytes):
                    forward = ForwardMsg()
                    forward.ParseFromString(message)
                    element = forward.delta.new_element if forward.HasField("delta") else None
                    if element is not None and element.WhichOneof("type") == "button" \
                            and element.button.label == "完了にする":
                        seen["button"] = element.button.id
                ws.send(message)
            ws.on_message(from_page)
            upstream.on_message(from_server)
        page.route_web_socket("**/_stcore/stream", route)
        login(page, server["url"], name, password, f"account?account={account}")
        page.wait_for_url(f"**/account?**account={account}**", timeout=30_000)
        wait_idle(page)
        assert page.locator("h1").first.inner_text().strip() != "顧客詳細"  # the account itself is open
        return page, seen

    def press(seen, button_id: str) -> None:
        forged = BackMsg()
        forged.rerun_script.CopyFrom(seen["state"])
        widget = forged.rerun_script.widget_states.widgets.add()
        widget.id, widget.trigger_value = button_id, True
        seen["server"].send(forged.SerializeToString())

    editor, as_editor = open_account("lead", "lead-pass-2026")
    button = as_editor["button"]
    assert button and as_editor["state"] is not None
    viewer, as_viewer = open_account("exec", "exec-pass-2026")
    assert as_viewer["button"] is None and viewer.get_by_text("閲覧のみの権限").count() == 1
    press(as_viewer, button)
    wait_idle(viewer)
    no_exception(viewer)
    editor.reload()
    wait_idle(editor)
    assert editor.get_by_text("まだ対応の記録はありません").count() == 1  # the viewer's press recorded nothing
    press(as_editor, button)  # the same message from the editor's session is a press
    wait_idle(editor)
    assert editor.get_by_text("対応状況: 完了").count() == 1
    editor.close()
    viewer.close()
