"""What the console's browser tests share: a person of a tenant in the stack's user pool, the
built console, Chromium driven by Playwright, and axe-core's check of a screen."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "Billow-test-2026"


def team_member(stack, tenant: str, role: str) -> str:
    """A person of ``tenant`` with ``role`` who signs in with PASSWORD; answers their email."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@{tenant}.example"
    cognito = boto3.client("cognito-idp", endpoint_url=stack.aws.endpoint)
    pool = stack.aws.sign_in["UserPool"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "custom:tenant_id", "Value": tenant},
            {"Name": "custom:role", "Value": role},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
    return email


def require_console() -> None:
    if not (ROOT / "console" / "dist" / "index.html").exists() or not AXE.exists():
        pytest.skip("the console is not built: `make test` (or `make console`) builds it first")


@contextlib.contextmanager
def browser_page(locale: str = "de-DE"):
    from playwright.sync_api import sync_playwright

    from tests.integration.conftest import chromium

    executable = chromium()
    require_console()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        try:
            context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 860})
            yield context.new_page()
        finally:
            browser.close()


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands."""
    # A dialog still fading in has text of too little contrast: check the screen as it settles.
    page.evaluate("async () => { await Promise.all(document.getAnimations().map((a) => a.finished)); }")
    page.evaluate(AXE.read_text())  # not a script tag: the console's CSP rightly refuses inline scripts
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['html'][:120]})"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
