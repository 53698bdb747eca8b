"""Local stand-in for the HTTP API's JWT authorizer: HS256 tokens signed with a local secret,
checked for signature, expiry, issuer and audience exactly where API Gateway would check them."""

from __future__ import annotations

import os
import time

import jwt

ISSUER = os.environ.get("LOCAL_JWT_ISSUER", "https://auth.billow.local/")
AUDIENCE = os.environ.get("LOCAL_JWT_AUDIENCE", "billow-api")
SECRET = os.environ.get("LOCAL_JWT_SECRET", "billow-local-development-secret-not-for-production")


def issue_token(
    tenant: str,
    role: str,
    *,
    subject: str | None = None,
    ttl_seconds: int = 12 * 3600,
    tenant_claim: str = "custom:tenant_id",
    role_claim: str = "custom:role",
    mode: str | None = None,
) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject or f"user-{tenant}-{role}",
        "iat": now,
        "exp": now + ttl_seconds,
        tenant_claim: tenant,
        role_claim: role,
        **({"custom:mode": mode} if mode else {}),  # "sandbox": a test tenant (the test clock)
    }
    return jwt.encode(claims, SECRET, algorithm="HS256")


class Unauthorized(Exception):
    pass


def verified_claims(authorization_header: str | None) -> dict:
    if not authorization_header or not authorization_header.lower().startswith("bearer "):
        raise Unauthorized("missing bearer token")
    token = authorization_header.split(" ", 1)[1].strip()
    try:
        return jwt.decode(
            token,
            SECRET,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise Unauthorized(str(error)) from None


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Print a bearer token the local gateway accepts")
    parser.add_argument("--tenant", default="acme")
    parser.add_argument("--role", default="admin", choices=["admin", "billing", "viewer"])
    parser.add_argument("--subject")
    parser.add_argument("--sandbox", action="store_true", help="a test tenant: it may use /v1/test-clock")
    args = parser.parse_args()
    print(issue_token(args.tenant, args.role, subject=args.subject, mode="sandbox" if args.sandbox else None))


if __name__ == "__main__":
    main()
