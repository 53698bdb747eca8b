"""Email through Amazon SES, from the platform's verified address on the tenant's behalf:
"<business> via Billow <receipts@...>", with the tenant's own sender as Reply-To."""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr
from typing import TYPE_CHECKING

import boto3

from billing.ports import Attachment

if TYPE_CHECKING:  # boto3-stubs: a development dependency, never in the layer
    from mypy_boto3_ses import SESClient
    from mypy_boto3_ses.type_defs import SendEmailRequestTypeDef


class SesMailer:
    def __init__(self, from_address: str, client: SESClient | None = None) -> None:
        self._from_address = from_address
        self._client = client or boto3.client("ses")

    def send(
        self,
        *,
        sender_name: str,
        reply_to: str | None,
        to: list[str],
        subject: str,
        text: str,
        cc: Sequence[str] = (),
        attachments: Sequence[Attachment] = (),
    ) -> str:
        if cc or attachments:
            return self._send_raw(sender_name, reply_to, to, subject, text, cc, attachments)
        request: SendEmailRequestTypeDef = {
            "Source": self._source(sender_name),
            "Destination": {"ToAddresses": to},
            "Message": {
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
            },
        }
        if reply_to:
            request["ReplyToAddresses"] = [reply_to]
        response = self._client.send_email(**request)
        return response["MessageId"]

    def _source(self, sender_name: str) -> str:
        return formataddr((f"{sender_name} via Billow" if sender_name else "Billow", self._from_address))

    def _send_raw(
        self,
        sender_name: str,
        reply_to: str | None,
        to: list[str],
        subject: str,
        text: str,
        cc: Sequence[str],
        attachments: Sequence[Attachment],
    ) -> str:
        """A MIME message (text and attachments) through SendRawEmail: how SES sends files."""
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self._source(sender_name)
        message["To"] = ", ".join(to)
        if cc:
            message["Cc"] = ", ".join(cc)
        if reply_to:
            message["Reply-To"] = reply_to
        # Quoted-printable keeps umlauts intact through every relay (8bit bodies are not safe everywhere).
        message.set_content(text, cte="quoted-printable")
        for attachment in attachments:
            main, sub = attachment.content_type.split("/", 1)
            message.add_attachment(attachment.data, maintype=main, subtype=sub, filename=attachment.filename)
        response = self._client.send_raw_email(
            Source=self._from_address,
            Destinations=[*to, *cc],
            RawMessage={"Data": message.as_bytes()},
        )
        return response["MessageId"]
