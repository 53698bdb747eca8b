"""Email through Amazon SES, from the platform's verified address on the tenant's behalf:
"<business> via Billow <receipts@...>", with the tenant's own sender as Reply-To."""

from __future__ import annotations

from email.utils import formataddr

import boto3


class SesMailer:
    def __init__(self, from_address: str, client=None):
        self._from_address = from_address
        self._client = client or boto3.client("ses")

    def send(self, *, sender_name: str, reply_to: str | None, to: list[str], subject: str, text: str) -> str:
        message = {
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
        }
        response = self._client.send_email(
            Source=formataddr((f"{sender_name} via Billow" if sender_name else "Billow", self._from_address)),
            Destination={"ToAddresses": to},
            Message=message,
            **({"ReplyToAddresses": [reply_to]} if reply_to else {}),
        )
        return response["MessageId"]
