"""The real app in Debian's chromium: a sales order typed into the form shows up, after a
refresh, as exactly its net amount more order intake on the overview.

The browser signs in once through the real login form as the demo executive, then moves
between pages with the menu (loading a URL would start a new, signed-out session).

Also saves a screenshot of every page (English, plus the overview in Chinese) to
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.dashboards.conftest import APP

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
ROOT = APP.parents[1]
SHOTS = ROOT / "test-artifacts" / "screenshots"
PAGES = ["overview", "sales", "operations", "finance", "office", "entry", "my_work",
         "data_health"]
USERNAME, PASSWORD = "boss", "demo"  # the demo executive: sees every page


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser test, but {CHROMIUM} is missing "
                    "(apt-get install -y chromium)")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium); CI is unset")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(warehouse_home: Path) -> Iterator[str]:
    _require_chromium()
    port = _free_port()
    log = (warehouse_home / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=os.environ | {"MIS_HOME": str(warehouse_home)},
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, (warehouse_home / "streamlit.log").read_text()
            assert time.monotonic() < deadline, "streamlit did not become healthy in 60 s"
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def page(app_url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1440, "height": 1000})
        tab.set_default_timeout(60_000)
        log_in(tab, app_url)
        yield tab
        browser.close()


def settle(page, quiet_polls: int = 4) -> None:
    """Wait until the app has stopped running (no status widget, no skeletons) for a while."""
    page.wait_for_selector("[data-testid='stSidebar']")
    quiet, deadline = 0, time.monotonic() + 240
    while quiet < quiet_polls and time.monotonic() < deadline:
        busy = page.locator("[data-testid='stStatusWidget'], [data-testid='stSkeleton']")
        quiet = 0 if busy.count() else quiet + 1
        time.sleep(0.4)


def log_in(page, app_url: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(app_url)
    settle(page)
    form = page.get_by_test_id("stForm")
    form.get_by_role("textbox", name="Username", exact=True).fill(USERNAME)
    form.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
    form.get_by_test_id("stFormSubmitButton").click()
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").wait_for()
    settle(page)


def goto(page, url: str) -> None:
    """Open the page ``url`` names within the signed-in session: the language of its
    ``?lang=`` (default English) with the sidebar switch, then the page's menu link."""
    from dashboards.i18n import LANGS, t

    parts = urlsplit(url)
    lang = parse_qs(parts.query).get("lang", ["en"])[0]
    name = parts.path.strip("/") or "overview"
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("radio", name=LANGS[lang], exact=True).click()
    settle(page)
    sidebar.get_by_test_id("stSidebarNavLink").filter(has_text=t(f"page.{name}", lang)).click()
    settle(page)


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid=stMain],"
        " [data-testid=stMainBlockContainer]')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": 1440, "height": min(max(1000, height + 80), 8000)})
    time.sleep(1.0)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 1000})


def money(text: str) -> Decimal:
    match = re.search(r"-?¥[\d,]+\.\d{2}", text)
    assert match, f"no amount in {text!r}"
    return Decimal(match.group(0).replace("¥", "").replace(",", ""))


def tile_value(page, label: str) -> Decimal:
    tile = page.get_by_test_id("stMetric").filter(has_text=label).first
    return money(tile.get_by_test_id("stMetricValue").inner_text())


def choose(page, label: str, index: int) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).filter(visible=True).first
    box.click()
    page.get_by_role("option").nth(index).click()
    settle(page)


def busiest_person() -> str:
    """The option in "I am" (an executive may pick anyone) of the employee with most open
    tasks."""
    from dashboards import data, forms

    people = forms.employee_choices(None)
    tasks = data.query("select assignee_employee_id as id, count(*) as n from marts.fct_tasks"
                       " where is_open group by 1 order by 2 desc, 1 limit 1")
    return people[int(tasks["id"].iloc[0])] if not tasks.empty else next(iter(people.values()))


def choose_by_name(page, label: str, option: str) -> None:
    """Type to filter the select box (its list only renders the options in view), then pick."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).filter(visible=True).first
    box.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def type_number(page, label: str, value: str) -> None:
    box = page.get_by_test_id("stNumberInput").filter(has_text=label).filter(visible=True).first
    field = box.locator("input")
    field.fill(value)
    field.press("Enter")
    settle(page)


def test_order_from_the_form_raises_order_intake_by_its_net(page, app_url):
    goto(page, app_url)
    before = tile_value(page, "Order intake")

    goto(page, f"{app_url}/entry")
    choose(page, "Customer", 1)
    choose(page, "Product", 2)
    price = Decimal(page.get_by_test_id("stNumberInput").filter(has_text="Unit price")
                    .locator("input").input_value())
    assert price > 0  # the product's list price was filled in
    type_number(page, "Quantity", "3.5")
    type_number(page, "Discount %", "2.5")
    page.get_by_test_id("stButton").filter(has_text="Save order").click()
    settle(page)
    saved = page.get_by_test_id("stAlertContentSuccess").first.inner_text()
    net = money(saved)
    expected = (Decimal("3.5") * price * (1 - Decimal("0.025"))).quantize(Decimal("0.01"),
                                                                         "ROUND_HALF_UP")
    assert net == expected
    number = re.search(r"SO[-\w]+", saved).group(0)
    screenshot(page, "entry-saved")

    from sqlmodel import select

    from dashboards.forms import session as session_scope
    from operational.models import SalesOrder, SalesOrderLine

    with session_scope() as s:
        order = s.exec(select(SalesOrder).where(SalesOrder.order_no == number)).one()
        lines = s.exec(select(SalesOrderLine)
                       .where(SalesOrderLine.sales_order_id == order.id)).all()
    assert sum(line.net_amount for line in lines) == net

    page.get_by_test_id("stSidebar").get_by_role("button", name="Refresh warehouse now").click()
    page.get_by_test_id("stSidebar").get_by_text("Warehouse refreshed").wait_for(timeout=300_000)
    settle(page)

    goto(page, app_url)
    after = tile_value(page, "Order intake")
    assert after - before == net


def test_validation_errors_show_beside_the_fields(page, app_url):
    goto(page, f"{app_url}/entry")
    page.get_by_role("tab", name="New customer").click()
    page.get_by_test_id("stButton").filter(has_text="Save customer").click()
    settle(page)
    name_box = page.get_by_test_id("stTextInput").filter(has_text="Name").filter(visible=True)
    error = page.get_by_test_id("stAlertContentError").filter(visible=True).first
    assert error.get_by_test_id("stMarkdownContainer").inner_text().strip() == "Required"
    # right under the Name field, not somewhere else on the page
    field, alert = name_box.bounding_box(), error.bounding_box()
    assert 0 <= alert["y"] - (field["y"] + field["height"]) < 40
    assert abs(alert["x"] - field["x"]) < 20
    screenshot(page, "entry-errors")


def test_screenshots_of_every_page(page, app_url):
    for name in PAGES:
        goto(page, f"{app_url}/{'' if name == 'overview' else name}")
        if name == "my_work":  # the person with the most open tasks
            choose_by_name(page, "I am", busiest_person())
        assert not page.get_by_test_id("stException").count(), name
        screenshot(page, name)
    goto(page, f"{app_url}/?lang=zh")
    assert page.get_by_test_id("stMetric").first.is_visible()
    screenshot(page, "overview-zh")
    goto(page, f"{app_url}/sales?lang=zh")
    screenshot(page, "sales-zh")


def test_a_record_link_opened_in_a_new_tab_signs_in_then_shows_that_record(page, app_url):
    """A new tab is a new session: the link's page asks for the sign-in (no "page not
    found"), keeps its address, and then shows the record the link was for."""
    from dashboards.forms import session
    from operational.models import Customer

    with session() as s:
        customer = s.get(Customer, 1)
        title = f"{customer.code} · {customer.name}"
    # a new tab (its own browser context, like another window): a new session, signed out
    tab = page.context.browser.new_page(viewport={"width": 1440, "height": 1000})
    tab.set_default_timeout(60_000)
    try:
        log_in(tab, f"{app_url}/record?table=customer&id=1")
        tab.get_by_role("heading", name=title).wait_for()
        assert "/record?table=customer&id=1" in tab.url
        assert tab.get_by_text("Page not found").count() == 0
    finally:
        tab.close()
