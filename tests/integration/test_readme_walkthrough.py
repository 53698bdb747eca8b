"""The README's walk-through, run as written. Every fenced ```bash block the README marks with
``<!-- walkthrough: name -->`` on the line before it runs, in the README's order, in one bash
session against the embedded stack, as a person pastes them into one terminal: the variables one
block sets are the next one's. Each block must exit 0 (the session runs with ``set -e -o pipefail``
and curl fails on an HTTP error status) and print what its comments promise. What a person does in
a browser between two blocks (Stripe's consent page, paying on the invoice's page at Checkout),
the test does over the same pages' HTTP forms."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.integration.conftest import authorize_at_stripe

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MARKED_BLOCK = re.compile(r"^<!-- walkthrough: (?P<name>[\w-]+) -->\n```bash\n(?P<code>.*?)^```$", re.M | re.S)
BLOCK_TIMEOUT = 60


@dataclass
class Block:
    name: str
    code: str
    line: int  # of the README, where the block's code starts


def walkthrough_blocks(text: str) -> list[Block]:
    return [Block(m["name"], m["code"], text.count("\n", 0, m.start("code")) + 1) for m in MARKED_BLOCK.finditer(text)]


def fields(**values: str) -> str:
    """Keys and their values next to each other in a JSON answer, however it is spaced."""
    return r",\s*".join(rf'"{key}":\s*{value}' for key, value in values.items())


def line(value: str) -> str:
    """A value a block prints on a line of its own (after a JSON answer, which ends no line)."""
    return rf"(?:^|[}}\]]){value}$"


# What each block's answer shows (regular expressions over what the block prints).
PROMISED = {
    "customers": [
        line(r"cus_\w+"),
        fields(company_name='"Muster GmbH"'),
        fields(sku='"WV-01"'),
        fields(tax_rate_id=r'"txr_\w+"'),
        fields(default_tax_rate_id=r'"txr_\w+"'),
        fields(datev_enabled="true"),
        fields(url='"http[^"]+xlsx'),
        fields(total="2878"),
    ],
    "connect": [line(r"http://127\.0\.0\.1:\d+/oauth/authorize\?\S*state=\S+")],
    "card": [
        fields(connected="true"),
        fields(status='"succeeded"'),
        fields(last4='"4242"'),
        fields(is_default="true"),
        fields(amount="1190", currency='"eur"', status='"succeeded"'),
    ],
    "invoice": [
        line("RE-2026-000001"),
        line("Rechnung RE-2026-000001 von Billow Demo GmbH"),
        fields(url=r'"http[^"]+/documents/\w+\.pdf'),
        line(r"http://127\.0\.0\.1:\d+/i/[\w-]+"),
    ],
    "paid": [
        line("paid"),
        fields(amount="42840", currency='"eur"', status='"succeeded"'),
        fields(type='"paid_online"'),
        line("Zahlungsbestätigung von Billow Demo GmbH"),
    ],
    "credit-note": [
        line("CN-000001"),
        line("14280"),
        line("succeeded"),
        line("14280"),
        fields(url=r'"http[^"]+/documents/\w+\.pdf'),
        line(r"\d{4}-\d{2}-\d{2}T[\d:.]+Z"),
        line("product_unsatisfactory"),
    ],
    "vat": [line("True"), line("reverse_charge")],
    "datev": [line("SKR03"), fields(url=r'"http[^"]+\.zip[^"]*"', expires_at=r'"[^"]+"', rows=r"[1-9]\d*")],
    "subscriptions": [
        fields(total="17731"),
        fields(status='"active"'),
        fields(payments_made="1"),
        fields(status='"canceled"'),
        fields(credit_note_number='"CN-000002"'),
    ],
    "sepa": [
        fields(amount="5831", currency='"eur"', status='"pending"'),
        fields(settled=r'\["pi_'),
        line("1"),
    ],
    "billing-run": [
        fields(run_date=r'"\d{4}-\d{2}-\d{2}"'),
        fields(advanced="true"),
        fields(days_run=r'\["\d{4}-\d{2}-\d{2}"'),
        line(r"(Invoice |Overdue: invoice |Your next payment).+"),
    ],
}

# What a person does in the browser after a block, named by the block.
AFTER: dict[str, Callable[[str, object], None]] = {}


def after(name: str):
    def register(step):
        AFTER[name] = step
        return step

    return register


@after("connect")
def press_connect_on_the_consent_page(output: str, stack) -> None:
    (authorize_url,) = re.findall(r"http://\S+/oauth/authorize\?\S+$", output, re.M)
    redirect = authorize_at_stripe(authorize_url)
    assert redirect.status_code == 302, redirect.text
    landed = requests.get(redirect.headers["Location"], timeout=30)  # Billow's callback
    assert landed.status_code == 200 and "is now connected" in landed.text, landed.text


@after("invoice")
def pay_on_the_invoice_page_at_checkout(output: str, stack) -> None:
    (hosted_url,) = re.findall(r"(http://[^\s\"]+/i/[\w-]+)$", output, re.M)
    assert 'id="pay"' in requests.get(hosted_url, timeout=30).text
    to_checkout = requests.post(hosted_url + "/pay", allow_redirects=False, timeout=30)  # Pay
    assert to_checkout.status_code == 303, to_checkout.text
    checkout = to_checkout.headers["Location"]
    assert requests.get(checkout, timeout=30).status_code == 200
    back = requests.post(checkout, data={"card": "pm_card_visa"}, allow_redirects=False, timeout=30)  # a test card
    assert back.status_code == 303 and back.headers["Location"].startswith(hosted_url), back.text
    assert 'id="paid"' in requests.get(back.headers["Location"], timeout=30).text
    stack.stripe.drain()  # Checkout's events delivered, as they are by the time a person pastes the next block


class Terminal:
    """One bash process fed block after block, as a terminal is; stdout and stderr together."""

    PRELUDE = r"""
set -eE -o pipefail
shopt -s inherit_errexit
trap 'status=$?; printf "\n::failed (exit %s) at line %s of the block: %s\n" "$status" "$LINENO" "$BASH_COMMAND"' ERR
curl() { command curl --fail-with-body --show-error "$@"; }
"""

    def __init__(self, environment: dict[str, str], scratch: Path):
        self.scratch = scratch
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=ROOT,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._send(self.PRELUDE)

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _send(self, text: str) -> None:
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def run(self, block: Block) -> tuple[bool, str]:
        """Whether the block ran to its end, and what it printed."""
        script = self.scratch / f"{block.name}.sh"
        script.write_text(block.code)
        done = f"::done {uuid.uuid4().hex}"
        self._send(f"source {script} </dev/null\nprintf '\\n%s\\n' '{done}'\n")
        printed: list[str] = []
        deadline = time.monotonic() + BLOCK_TIMEOUT
        while True:
            try:
                text = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return False, "\n".join([*printed, f"::timed out after {BLOCK_TIMEOUT} s"])
            if text is None:  # set -e ended the session
                return False, "\n".join(printed)
            if text == done:
                return True, "\n".join(printed)
            printed.append(text)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # a command still hangs: end the session's processes
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def test_the_readme_marks_its_walkthrough_and_every_block_is_promised_something():
    blocks = walkthrough_blocks(README.read_text())
    names = [block.name for block in blocks]
    assert len(names) == len(set(names)), names
    assert names == list(PROMISED), "the README's walk-through blocks and this test's expectations differ"
    assert set(AFTER) <= set(names)
    marks = re.findall(r"^<!-- walkthrough", README.read_text(), re.M)
    assert len(marks) == len(blocks), "a walkthrough mark without a name or not followed by a ```bash block"


def test_the_readme_walkthrough_runs_as_written(stack, standin, tmp_path):
    blocks = walkthrough_blocks(README.read_text())
    environment = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    # The addresses this stack listens on (make run's are the README's defaults), and a tenant of
    # this test's own, since the stack serves the whole session.
    environment |= {"BASE": stack.url, "STRIPE": stack.stripe_url, "TENANT": f"readme-{uuid.uuid4().hex[:8]}"}
    terminal = Terminal(environment, tmp_path)
    try:
        for block in blocks:
            ran, output = terminal.run(block)
            where = f"README.md line {block.line}, block {block.name!r}"
            assert ran, f"{where} failed:\n{output}"
            for promise in PROMISED.get(block.name, []):
                assert re.search(promise, output, re.M), f"{where} did not print {promise!r}:\n{output}"
            if block.name in AFTER:
                AFTER[block.name](output, stack)
    finally:
        terminal.close()


def test_the_local_mailbox_shows_what_ses_sent_newest_first_and_by_recipient(stack):
    from email.message import EmailMessage

    import boto3

    from local.stack import LOCAL_MAIL_FROM

    ses = boto3.client("ses")
    box = f"mailbox-{uuid.uuid4().hex[:8]}@example.org"
    ses.send_email(
        Source=f"Shop via Billow <{LOCAL_MAIL_FROM}>",
        Destination={"ToAddresses": [box]},
        Message={"Subject": {"Data": "Plain"}, "Body": {"Text": {"Data": "Grüße\n"}}},
    )
    raw = EmailMessage()
    raw["Subject"], raw["From"], raw["To"], raw["Cc"] = "With a PDF", LOCAL_MAIL_FROM, "other@example.org", box
    raw.set_content("Anbei.\n", cte="quoted-printable")
    raw.add_attachment(b"%PDF-1.7 ...", maintype="application", subtype="pdf", filename="RE-1.pdf")
    ses.send_raw_email(
        Source=LOCAL_MAIL_FROM, Destinations=["other@example.org", box], RawMessage={"Data": raw.as_bytes()}
    )

    answer = requests.get(f"{stack.url}/_local/mail", params={"to": box.upper()}, timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    newest, oldest = answer.json()["data"]
    assert newest["subject"] == "With a PDF" and newest["to"] == ["other@example.org"] and newest["cc"] == [box]
    assert newest["text"] == "Anbei.\n"
    assert newest["attachments"] == [{"filename": "RE-1.pdf", "content_type": "application/pdf", "size": 12}]
    assert oldest == {
        "id": oldest["id"],
        "from": f"Shop via Billow <{LOCAL_MAIL_FROM}>",
        "to": [box],
        "cc": [],
        "subject": "Plain",
        "text": "Grüße\n",
        "attachments": [],
    }
    everything = [m["id"] for m in requests.get(f"{stack.url}/_local/mail", timeout=30).json()["data"]]
    assert everything.index(newest["id"]) < everything.index(oldest["id"])
    assert requests.post(f"{stack.url}/_local/mail", timeout=30).status_code == 404  # GET only
