"""Local stand-in for the HTTP API's JWT authorizer. It accepts what the deployed API accepts, the
ID tokens of the stack's user pool (moto's Cognito: RS256, checked against the pool's JWKS), and
the HS256 tokens `make token` prints for API users and tests; each checked for signature, expiry,
issuer and audience exactly where API Gateway would check them."""

from __future__ import annotations

import functools
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


@functools.cache
def _pool_keys(jwks_url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(jwks_url)


def _user_pool_claims(token: str) -> dict:
    """An ID token of the local user pool, as API Gateway's JWT authorizer checks one of Cognito's."""
    pool_id = os.environ.get("USER_POOL_ID", "")  # the template's, resolved to the local pool
    if not pool_id:
        raise Unauthorized("no user pool signs tokens here")
    keys = _pool_keys(f"{os.environ['AWS_ENDPOINT_URL']}/{pool_id}/.well-known/jwks.json")
    region = os.environ.get("AWS_REGION", "eu-central-1")
    claims = jwt.decode(
        token,
        keys.get_signing_key_from_jwt(token).key,
        algorithms=["RS256"],
        audience=os.environ.get("SIGN_IN_CLIENT_ID", ""),
        issuer=f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
        options={"require": ["exp", "iss", "aud", "sub"]},
    )
    if claims.get("token_use") != "id":
        raise Unauthorized("send the ID token")
    return claims


def verified_claims(authorization_header: str | None) -> dict:
    if not authorization_header or not authorization_header.lower().startswith("bearer "):
        raise Unauthorized("missing bearer token")
    token = authorization_header.split(" ", 1)[1].strip()
    try:
        if jwt.get_unverified_header(token).get("alg") == "RS256":
            return _user_pool_claims(token)
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
