"""The console: its initial JavaScript, gzipped (target at most 300 KB), and in headless Chromium
against the embedded stack the time until the customer list of 1,000 customers shows its first page,
next to the same API call's own time."""

from __future__ import annotations

import gzip
import logging
import re
import statistics
import time
from pathlib import Path

DIST = Path(__file__).resolve().parents[1] / "console" / "dist"
CUSTOMERS = 1000


def initial_javascript_gzipped() -> int:
    """The scripts index.html loads at once (module entry and its preloads), gzipped as served."""
    index = (DIST / "index.html").read_text()
    scripts = re.findall(r'(?:src|href)="(/assets/[^"]+\.js)"', index)
    return sum(len(gzip.compress((DIST / s.lstrip("/")).read_bytes(), 9)) for s in scripts)


def report() -> None:
    import shutil

    import requests

    from local.auth import issue_token
    from local.run import LocalStack

    if not (DIST / "index.html").exists():
        print("console: not built (make console)")
        return
    print(f"console: initial JavaScript {initial_javascript_gzipped() / 1024:.1f} KB gzipped (target <= 300 KB)")
    chromium = shutil.which("chromium")
    if not chromium:
        print("console: no chromium on this machine; the page timing is skipped")
        return
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    stack = LocalStack().start()
    try:
        _time_customer_list(stack, chromium, requests, issue_token)
    finally:
        stack.stop()


def _time_customer_list(stack, chromium: str, requests, issue_token) -> None:
    from playwright.sync_api import sync_playwright

    from tests.integration.console_helpers import sign_in, team_member

    tenant = "benchconsole"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {issue_token(tenant, 'admin')}"
    session.patch(f"{stack.url}/v1/settings", json={"locale": "de_DE", "business_name": "Bench GmbH"})
    for n in range(CUSTOMERS):
        session.post(f"{stack.url}/v1/customers", json={"type": "company", "company_name": f"Kunde {n:04d} GmbH"})
    api_times = []
    for _ in range(10):
        started = time.perf_counter()
        assert session.get(f"{stack.url}/v1/customers", params={"limit": 25}).status_code == 200
        api_times.append(time.perf_counter() - started)
    email = team_member(stack, tenant, "billing")
    page_times, cold_times = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-background-networking"]
        )
        for _ in range(5):
            page = browser.new_context(locale="de-DE").new_page()
            started = time.perf_counter()
            sign_in(page, f"{stack.url}/customers", email)  # a cold load: the app, sign-in, the list
            page.locator("tbody tr").first.wait_for()
            cold_times.append(time.perf_counter() - started)
            page.get_by_role("link", name="Start").click()
            page.get_by_role("heading", name="Was Aufmerksamkeit braucht").wait_for()
            started = time.perf_counter()
            page.get_by_role("link", name="Kunden").click()  # within the app: the list's own time
            page.locator("tbody tr").nth(24).wait_for()
            page_times.append(time.perf_counter() - started)
            page.context.close()
        browser.close()
    ms = lambda values: f"{statistics.median(values) * 1000:.0f} ms"  # noqa: E731
    print(
        f"console: customer list ({CUSTOMERS} customers) first page shown {ms(page_times)} after the click "
        f"(median of 5), API call GET /v1/customers alone {ms(api_times)} (median of 10); "
        f"from a cold load with sign-in {ms(cold_times)}"
    )
