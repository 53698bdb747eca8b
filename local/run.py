"""Start the whole embedded stack: moto's server, the tables and buckets, the Stripe stand-in and
the gateway."""

from __future__ import annotations

import logging
import os
import signal
import threading

from werkzeug.serving import make_server

from local.stack import EmbeddedAws, free_port
from local.stripe_standin import StripeStandIn

# The stand-in's keys: shaped like test-mode keys, known to nothing but this machine.
STRIPE_SECRET_KEY = "sk_test_billow_local_platform"
STRIPE_WEBHOOK_SECRET = "whsec_billow_local"
STRIPE_PUBLISHABLE_KEY = "pk_test_billow_local_platform"


class LocalStack:
    def __init__(self, port: int | None = None, aws_port: int | None = None, stripe_port: int | None = None):
        self.aws = EmbeddedAws(aws_port)
        self.port = port if port is not None else free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stripe = StripeStandIn(STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET)
        self.stripe_port = stripe_port or free_port()
        self.stripe_url = f"http://127.0.0.1:{self.stripe_port}"
        self.gateway = None
        self._servers = []

    def _serve(self, app, port: int, name: str) -> None:
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
        self._servers.append(server)

    def start(self) -> LocalStack:
        self._serve(self.stripe, self.stripe_port, "stripe-standin")
        self.stripe.switches.webhook_url = f"{self.url}/v1/webhooks/stripe"
        self.aws.start(
            parameter_overrides={"StripeApiBase": self.stripe_url},
            extra_environment={
                "STRIPE_SECRET_KEY": STRIPE_SECRET_KEY,
                "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
                "STRIPE_PUBLISHABLE_KEY": STRIPE_PUBLISHABLE_KEY,
            },
        )
        from local.gateway import Gateway  # imports the handlers: only once the environment is set

        self.gateway = Gateway()
        self._serve(self.gateway, self.port, "billow-gateway")
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
        self.aws.stop()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops it as Ctrl-C does
    stack = LocalStack(
        port=int(os.environ.get("PORT", "3000")), stripe_port=int(os.environ.get("STRIPE_PORT", "12111"))
    ).start()
    from local.auth import issue_token

    token = issue_token("acme", "admin")
    print(
        f"""
Billow is running on its embedded stack (no AWS account, no Docker).
  API         {stack.url}
  Swagger UI  {stack.url}/docs
  OpenAPI     {stack.url}/openapi.json
  AWS (moto)  {stack.aws.endpoint}
  Stripe      {stack.stripe_url} (stand-in; key {STRIPE_SECRET_KEY}, webhooks to /v1/webhooks/stripe)

Try it (a token for tenant "acme", role admin; `make token TENANT=x ROLE=viewer` prints others):
  curl -s -X POST {stack.url}/v1/customers -H "Authorization: Bearer {token}" \\
       -H "Content-Type: application/json" -d '{{"type":"company","company_name":"Muster GmbH"}}'

Ctrl-C stops everything.""",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
