"""The team signs in against the stack's user pool (moto's Cognito over HTTP, as the console does
from the browser) and the gateway accepts its ID tokens as API Gateway's JWT authorizer would."""

from __future__ import annotations

import json

import requests

from local.auth import issue_token
from local.stack import DEMO_USER


def cognito(config: dict, action: str, body: dict) -> requests.Response:
    """A call to Cognito's user-pool API, as a browser makes it (no AWS signature: these are public)."""
    return requests.post(
        config["sign_in"]["endpoint"],
        data=json.dumps(body),
        headers={
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}",
            "Content-Type": "application/x-amz-json-1.1",
        },
        timeout=10,
    )


def sign_in(stack, email: str, password: str) -> dict:
    config = requests.get(f"{stack.url}/v1/console/config", timeout=10).json()
    body = {
        "ClientId": config["sign_in"]["client_id"],
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": email, "PASSWORD": password},
    }
    return cognito(config, "InitiateAuth", body).json()


def test_the_console_config_names_the_pools_client_without_a_token(stack):
    answer = requests.get(f"{stack.url}/v1/console/config", timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["sign_in"] == {
        "endpoint": stack.aws.endpoint,
        "region": "eu-central-1",
        "client_id": stack.aws.sign_in["ConsoleUserPoolClient"],
    }


def test_the_demo_admin_signs_in_and_the_api_knows_who_it_is(stack):
    tokens = sign_in(stack, *DEMO_USER)["AuthenticationResult"]
    me = requests.get(f"{stack.url}/v1/me", headers={"Authorization": f"Bearer {tokens['IdToken']}"}, timeout=10)
    assert me.status_code == 200, me.text
    assert me.json() | {"user_id": None} == {
        "object": "me",
        "user_id": None,
        "email": DEMO_USER[0],
        "tenant_id": "acme",
        "role": "admin",
        "permissions": ["administer", "read", "write"],
        "sandbox": False,
        "business_name": "",
        "locale": "en_US",
    }


def test_an_access_token_a_forged_one_and_a_wrong_password_are_refused(stack):
    tokens = sign_in(stack, *DEMO_USER)["AuthenticationResult"]
    for token in (tokens["AccessToken"], tokens["IdToken"][:-4] + "AAAA"):
        refused = requests.get(f"{stack.url}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert refused.status_code == 401, refused.text
    wrong = sign_in(stack, DEMO_USER[0], "not-the-password-1A")
    assert "AuthenticationResult" not in wrong


def test_a_scripts_local_token_still_works_and_names_no_email(stack):
    token = issue_token("acme", "viewer")
    me = requests.get(f"{stack.url}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert (me.status_code, me.json()["email"], me.json()["permissions"]) == (200, "", ["read"])
