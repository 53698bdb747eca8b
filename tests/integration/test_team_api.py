"""A business signs up over HTTP, its admin invites a bookkeeper, who reads the invitation from the
local mailbox, signs in against moto's Cognito with the temporary password, chooses their own,
and works in the new tenant with the role they were given; roles change and people leave."""

from __future__ import annotations

import re
import uuid

import requests

from tests.integration.test_sign_in import cognito, sign_in

PASSWORD = "Billow-test-2026"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def sign_up(stack, email: str, business: str = "Muster GmbH", password: str = PASSWORD) -> requests.Response:
    body = {"business_name": business, "email": email, "password": password, "locale": "de_DE"}
    return requests.post(f"{stack.url}/v1/sign-up", json=body, timeout=10)


def id_token(stack, email: str, password: str = PASSWORD) -> str:
    return sign_in(stack, email, password)["AuthenticationResult"]["IdToken"]


def invitation_password(stack, email: str) -> str:
    mail = requests.get(f"{stack.url}/_local/mail", params={"to": email}, timeout=10).json()["data"][0]
    return re.search(r"Vorläufiges Passwort: (\S+)", mail["text"]).group(1)


def first_sign_in(stack, email: str, temporary: str, chosen: str) -> str:
    """The console's first sign-in of an invited person: the pool asks for a new password."""
    config = requests.get(f"{stack.url}/v1/console/config", timeout=10).json()
    challenge = sign_in(stack, email, temporary)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED", challenge
    answer = cognito(
        config,
        "RespondToAuthChallenge",
        {
            "ClientId": config["sign_in"]["client_id"],
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": challenge["Session"],
            "ChallengeResponses": {"USERNAME": email, "NEW_PASSWORD": chosen},
        },
    ).json()
    return answer["AuthenticationResult"]["IdToken"]


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@muster.example"


def test_a_business_signs_up_invites_a_bookkeeper_who_signs_in_and_works(stack):
    founder_email, bookkeeper_email = unique("erika"), unique("max")
    signed_up = sign_up(stack, founder_email)
    assert signed_up.status_code == 201, signed_up.text
    tenant = signed_up.json()["tenant_id"]
    assert signed_up.json()["member"]["role"] == "admin"

    admin = bearer(id_token(stack, founder_email))
    me = requests.get(f"{stack.url}/v1/me", headers=admin, timeout=10).json()
    assert (me["tenant_id"], me["role"], me["business_name"], me["locale"]) == (tenant, "admin", "Muster GmbH", "de_DE")

    invited = requests.post(
        f"{stack.url}/v1/team/members", json={"email": bookkeeper_email, "role": "billing"}, headers=admin, timeout=10
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["status"] == "invited"

    temporary = invitation_password(stack, bookkeeper_email)
    bookkeeper = bearer(first_sign_in(stack, bookkeeper_email, temporary, "Max-own-pass-2026"))
    me = requests.get(f"{stack.url}/v1/me", headers=bookkeeper, timeout=10).json()
    assert (me["tenant_id"], me["role"], me["email"]) == (tenant, "billing", bookkeeper_email)
    customer = requests.post(
        f"{stack.url}/v1/customers",
        json={"type": "company", "company_name": "Kunde AG"},
        headers=bookkeeper,
        timeout=10,
    )
    assert customer.status_code == 201, customer.text
    refused = requests.post(
        f"{stack.url}/v1/team/members", json={"email": unique("x"), "role": "viewer"}, headers=bookkeeper, timeout=10
    )
    assert refused.status_code == 403, refused.text

    team = requests.get(f"{stack.url}/v1/team", headers=admin, timeout=10).json()
    assert team["manages_sign_ins"] is True
    assert {(m["email"], m["role"], m["status"]) for m in team["data"]} == {
        (founder_email, "admin", "active"),
        (bookkeeper_email, "billing", "active"),
    }


def test_the_last_admin_stays_one_and_a_removed_person_cannot_sign_in(stack):
    founder_email, viewer_email = unique("erika"), unique("vera")
    sign_up(stack, founder_email)
    admin = bearer(id_token(stack, founder_email))
    me = requests.get(f"{stack.url}/v1/me", headers=admin, timeout=10).json()

    demoted = requests.patch(
        f"{stack.url}/v1/team/members/{me['user_id']}", json={"role": "viewer"}, headers=admin, timeout=10
    )
    assert (demoted.status_code, demoted.json()["error"]["type"]) == (409, "last_admin"), demoted.text
    removed = requests.delete(f"{stack.url}/v1/team/members/{me['user_id']}", headers=admin, timeout=10)
    assert (removed.status_code, removed.json()["error"]["type"]) == (409, "last_admin"), removed.text

    viewer = requests.post(
        f"{stack.url}/v1/team/members", json={"email": viewer_email, "role": "viewer"}, headers=admin, timeout=10
    ).json()
    promoted = requests.patch(
        f"{stack.url}/v1/team/members/{viewer['user_id']}", json={"role": "billing"}, headers=admin, timeout=10
    )
    assert (promoted.status_code, promoted.json()["role"]) == (200, "billing"), promoted.text
    gone = requests.delete(f"{stack.url}/v1/team/members/{viewer['user_id']}", headers=admin, timeout=10)
    assert gone.status_code == 204, gone.text
    assert "AuthenticationResult" not in sign_in(stack, viewer_email, invitation_password(stack, viewer_email))
    assert [m["email"] for m in requests.get(f"{stack.url}/v1/team", headers=admin, timeout=10).json()["data"]] == [
        founder_email
    ]


def test_sign_up_refuses_a_taken_email_a_weak_password_and_a_bad_email(stack):
    email = unique("erika")
    assert sign_up(stack, email).status_code == 201
    taken = sign_up(stack, email.upper(), business="Zweite GmbH")
    assert (taken.status_code, taken.json()["error"]["type"]) == (409, "email_taken"), taken.text
    weak = sign_up(stack, unique("weak"), password="alllowercase-and-long")
    assert weak.status_code == 422 and weak.json()["error"]["fields"][0]["field"] == "password", weak.text
    bad = sign_up(stack, "not-an-email")
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "email", bad.text
    config = requests.get(f"{stack.url}/v1/console/config", timeout=10).json()
    assert config["sign_up_open"] is True
