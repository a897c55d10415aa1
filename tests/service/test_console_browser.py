"""The console in a real browser: headless Chromium (Debian's ``chromium`` package, which
``make test`` installs when it is missing) driven by Playwright's Python API, against the
real app served by uvicorn on a free port with a temporary SQLite database and the small
test model. Sign in → queue → open (claims) → correct the codes from the keyboard → next
item, checking what the page shows and what the database holds afterwards."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from service.app import create_app
from service.db import Database
from service.migrate import migrate
from service.models import ApiKey, Feedback, Review
from service.security import hash_key, new_key
from service.settings import Settings
from service.store import now
from tests.service.console_helpers import BRIBE, CAR, SUBMITTER, WEDDING
from triage.textutil import strip_diacritics

# The same case again by hotline, typed without accents, with a line of its own.
RESENT = strip_diacritics(BRIBE) + " Mong Mat tran som xem xet giup dan."

CHROMIUM = Path(os.environ.get("TRIAGE_CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[2]
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]


def _browser_or_skip():
    """Playwright and Chromium, or a skip saying why; in CI a missing browser is a failure
    (``make test`` installs it there)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is a dev dependency: pip install -e '.[dev]'")
    if not CHROMIUM.exists():
        reason = (f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package "
                  "where apt-get can run as root")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live(tmp_path, models_dir):
    """The real app under uvicorn in a thread; yields (base url, settings)."""
    import uvicorn

    url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate(url)
    settings = Settings(database_url=url, models_dir=models_dir,
                        identity_key_file=tmp_path / "identity.key")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started:
        assert thread.is_alive() and time.time() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", settings
    server.should_exit = True
    thread.join(timeout=10)


def _key(settings, role: str) -> str:
    db = Database(settings.database_url)
    key_id, key = new_key()
    with db.transaction() as s:
        s.add(ApiKey(id=key_id, key_hash=hash_key(key), role=role, scope=None, created_at=now()))
    db.dispose()
    return key


def _item_id(url: str) -> str | None:
    path = url.split("?")[0]
    return path.split("/console/items/")[1] if "/console/items/" in path else None


def _screenshot_dir() -> Path:
    target = ROOT / "build" / "console"
    target.mkdir(parents=True, exist_ok=True)
    return target


def test_claim_review_next_in_a_real_browser(live):
    sync_playwright = _browser_or_skip()
    base, settings = live
    intake, reviewer = _key(settings, "intake"), _key(settings, "reviewer")
    supervisor = _key(settings, "supervisor")
    api = httpx.Client(base_url=base, timeout=30)
    posted = {}
    for text, extra in ((BRIBE, {"channel": "don_thu"}),
                        (RESENT, {"channel": "duong_day_nong"}),
                        (CAR, {"channel": "email", "submitter": SUBMITTER}),
                        (WEDDING, {"channel": "tiep_xuc_cu_tri"})):
        r = api.post("/api/v1/feedback", json={"text": text, **extra},
                     headers={"Authorization": f"Bearer {intake}"})
        assert r.status_code == 201, r.text
        posted[r.json()["id"]] = r.json()
    resent = next(x for x in posted.values() if x["channel"] == "duong_day_nong")
    assert resent["duplicate_of"] in posted  # precondition: the pair is one cluster
    order = [i["id"] for i in api.get("/api/v1/queue", headers={
        "Authorization": f"Bearer {reviewer}"}).json()["items"]]
    first = posted[order[0]]

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
        page.goto(f"{base}/console/queue")
        assert "/console/login" in page.url
        page.fill("#key", reviewer)
        page.keyboard.press("Enter")
        page.wait_for_url("**/console/queue")
        assert "4 phản ánh" in page.inner_text("h1")
        assert page.locator("#queue tbody tr[data-href]").count() == 4
        cookie = next(c for c in page.context.cookies() if c["name"] == "triage_console")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and reviewer not in cookie["value"]

        # j selects the first row (the highest priority), Enter opens and claims it
        page.keyboard.press("j")
        assert page.locator("#queue tbody tr.selected").count() == 1
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/console/items/{first['id']}*")
        assert page.locator("#claim-state").is_visible()
        assert page.inner_text("#status") == "Đang xem xét"
        for code in first["suggested"]:
            row = page.locator(f"#codes li[data-code='{code}']")
            assert row.locator("input").is_checked()
            assert row.locator(".score").inner_text()  # the model's score is shown
            assert row.locator(".cite").inner_text().strip()  # with its legal citation
        if any(first["explanations"].get(c) for c in first["suggested"]):
            assert page.locator("#feedback-text mark.hl").count() > 0
        for secret in SUBMITTER.values():
            assert secret not in page.content()

        # correct from the keyboard: drop the first candidate, add TN04, set the track
        candidates = page.locator("#codes li[data-code]")
        first_code = candidates.first.get_attribute("data-code")
        was_checked = candidates.first.locator("input").is_checked()
        page.keyboard.press("1")
        assert candidates.first.locator("input").is_checked() != was_checked
        page.keyboard.press("e")
        page.keyboard.type("TN04")
        page.keyboard.press("Escape")
        page.keyboard.press("t")
        page.keyboard.press("End")  # the last track: tố cáo
        page.keyboard.press("Escape")
        assert page.input_value("#track") == "to_cao"
        shots = _screenshot_dir()
        shot = shots / "item.png"
        page.screenshot(path=str(shot), full_page=True)
        expected = [c for c in (page.locator("#codes input:checked").evaluate_all(
            "els => els.map(e => e.value)")) if c] + ["TN04"]
        expected = list(dict.fromkeys(expected))

        page.keyboard.press("a")  # save, then the next item opens, claimed
        page.wait_for_url(lambda u: _item_id(u) not in (None, first["id"]))
        second_id = _item_id(page.url)
        assert second_id == order[1]
        assert page.locator("#claim-state").is_visible()

        page.keyboard.press("n")  # skip: back to the queue, on to the next one
        page.wait_for_url(lambda u: _item_id(u) not in (None, second_id))
        third_id = _item_id(page.url)
        assert third_id not in (first["id"], second_id)
        page.keyboard.press("?")
        assert page.locator("#help").is_visible() and "phím tắt" in page.inner_text("#help").lower()
        page.screenshot(path=str(shots / "next.png"), full_page=True)
        page.keyboard.press("Escape")
        assert page.locator("#help").is_hidden()
        page.keyboard.press("f")  # forward: type where to, Enter sends it, the next one opens
        page.keyboard.type("Ủy ban Kiểm tra Đảng ủy phường")
        page.keyboard.press("Enter")
        page.wait_for_url(lambda u: _item_id(u) != third_id)

        # the duplicate pair side by side, the differences marked word by word
        page.goto(f"{base}/console/items/{resent['id']}")
        if resent["id"] == first["id"]:
            assert "đã được xem xét" in page.inner_text("#notice")
        assert page.locator("#cluster .side-by-side").count() == 1
        assert "Mong Mat tran" in page.inner_text("#cluster .diff del")  # only in the resent text
        assert page.locator("#cluster .diff ins").count() == 0  # the rest is the same case
        page.screenshot(path=str(shots / "cluster.png"), full_page=True)

        # sign out, then a supervisor sees the agreement with the decision just made
        page.click("text=Đăng xuất")
        page.wait_for_url("**/console/login")
        page.goto(f"{base}/console/stats")
        assert "/console/login" in page.url
        page.fill("#key", supervisor)
        page.keyboard.press("Enter")
        page.wait_for_url("**/console/stats")
        assert page.locator("#stats tr[data-code='TN04'] td").nth(5).inner_text() == "1"
        page.screenshot(path=str(shots / "stats.png"), full_page=True)
        browser.close()
    print(f"\nconsole screenshot: {shot}")

    db = Database(settings.database_url)
    with db.read() as s:
        done = s.get(Feedback, first["id"])
        assert done.status == "reviewed" and done.final_codes == expected
        assert done.track == "to_cao" and done.claimed_by is None
        review = s.scalars(select(Review).where(Review.feedback_id == first["id"])).one()
        assert "TN04" in review.codes and (first_code in review.removed) == was_checked
        assert s.get(Feedback, second_id).status == "new"  # skipped: given back
        forwarded = s.get(Feedback, third_id)
        assert forwarded.status == "forwarded"
        assert forwarded.forwarded_to == "Ủy ban Kiểm tra Đảng ủy phường"
    db.dispose()
    via_api = api.get(f"/api/v1/feedback/{first['id']}",
                      headers={"Authorization": f"Bearer {reviewer}"}).json()
    assert via_api["final_codes"] == expected and via_api["status"] == "reviewed"
    assert shot.stat().st_size > 10_000
