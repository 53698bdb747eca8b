"""The local mailbox: every email Billow sent through SES, which moto keeps and delivers to no one.
The gateway serves it at ``GET /_local/mail``: newest first, ``?to=`` keeps the messages to (or
copied to) one address. It lives as long as the stack: a restart empties it."""

from __future__ import annotations

import json
from email import message_from_string, policy
from email.utils import getaddresses

from werkzeug.wrappers import Request, Response

from local.stack import REGION


def sent_messages() -> list:
    """moto's record of what SES sent, in sending order (moto runs in this process)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def describe(message) -> dict:
    """One message as a reader wants it: sender, recipients, subject, text, attachments' names."""
    raw = getattr(message, "raw_data", None)
    if raw is None:  # SendEmail: moto keeps the fields as sent
        destinations = message.destinations or {}
        return {
            "id": message.id,
            "from": message.source,
            "to": list(destinations.get("ToAddresses", [])),
            "cc": list(destinations.get("CcAddresses", [])),
            "subject": message.subject,
            "text": message.body,
            "attachments": [],
        }
    parsed = message_from_string(raw, policy=policy.default)  # SendRawEmail: the MIME message itself
    body = parsed.get_body(preferencelist=("plain",))
    return {
        "id": message.id,
        "from": str(parsed["From"] or message.source),
        "to": [address for _, address in getaddresses(parsed.get_all("To", []))],
        "cc": [address for _, address in getaddresses(parsed.get_all("Cc", []))],
        "subject": str(parsed["Subject"] or ""),
        "text": body.get_content() if body is not None else "",
        "attachments": [
            {
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "size": len(part.get_payload(decode=True) or b""),
            }
            for part in parsed.iter_attachments()
        ],
    }


def mailbox(to: str | None = None) -> list[dict]:
    messages = [describe(message) for message in reversed(sent_messages())]
    if to:
        wanted = to.strip().lower()
        messages = [m for m in messages if wanted in (a.lower() for a in m["to"] + m["cc"])]
    return messages


def mail_response(request: Request) -> Response:
    body = {"data": mailbox(request.args.get("to"))}
    return Response(json.dumps(body, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8")
