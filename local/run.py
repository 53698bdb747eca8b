"""Start the whole embedded stack: moto's server, the tables and buckets, the Stripe stand-in and
the gateway."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading

from werkzeug.serving import make_server

from local.stack import EmbeddedAws, free_port
from local.stripe_standin import StripeStandIn
from local.vies_standin import ViesStandIn

# The stand-in's keys: shaped like test-mode keys, known to nothing but this machine.
STRIPE_SECRET_KEY = "sk_test_billow_local_platform"
STRIPE_WEBHOOK_SECRET = "whsec_billow_local"
STRIPE_PUBLISHABLE_KEY = "pk_test_billow_local_platform"
STRIPE_CONNECT_CLIENT_ID = "ca_billow_local_platform"


class PortTaken(Exception):
    pass


class LocalStack:
    def __init__(
        self,
        port: int | None = None,
        aws_port: int | None = None,
        stripe_port: int | None = None,
        vies_port: int | None = None,
        *,
        sandboxes_per_function: int = 4,
        in_process: bool = False,
    ):
        self.aws = EmbeddedAws(aws_port)
        self.port = port if port is not None else free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stripe = StripeStandIn(STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_CONNECT_CLIENT_ID)
        self.stripe_port = stripe_port or free_port()
        self.stripe_url = f"http://127.0.0.1:{self.stripe_port}"
        self.vies = ViesStandIn()
        self.vies_port = vies_port or free_port()
        self.vies_url = f"http://127.0.0.1:{self.vies_port}"
        self.gateway = None
        self.queues = None
        self.sandboxes_per_function = sandboxes_per_function
        self.in_process = in_process
        self._servers = []

    @staticmethod
    def _check_free(port: int, variable: str) -> None:
        # Werkzeug exits the process on a taken port; say which variable moves it instead. The probe
        # binds as werkzeug does (SO_REUSEADDR), so the connections of a run just stopped, still in
        # TIME_WAIT, do not hold the port against a restart.
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as error:
                raise PortTaken(f"port {port} is taken ({error.strerror}); set {variable} to move it") from None

    def _serve(self, app, port: int, name: str) -> None:
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
        self._servers.append(server)

    def start(self) -> LocalStack:
        self._check_free(self.port, "PORT")
        self._check_free(self.stripe_port, "STRIPE_PORT")
        self._serve(self.stripe, self.stripe_port, "stripe-standin")
        self._check_free(self.vies_port, "VIES_PORT")
        self._serve(self.vies, self.vies_port, "vies-standin")
        self.stripe.switches.webhook_url = f"{self.url}/v1/webhooks/stripe"
        self.aws.start(
            parameter_overrides={
                "StripeApiBase": self.stripe_url,
                "PublicApiUrl": self.url,
                # The console will be served by the gateway: Connect may send the browser back to it.
                "ConsoleOrigins": self.url,
            },
            extra_environment={
                "STRIPE_SECRET_KEY": STRIPE_SECRET_KEY,
                "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
                "STRIPE_PUBLISHABLE_KEY": STRIPE_PUBLISHABLE_KEY,
                "STRIPE_CONNECT_CLIENT_ID": STRIPE_CONNECT_CLIENT_ID,
                "VIES_URL": self.vies_url,
            },
        )
        from local.gateway import Gateway  # imports the handlers: only once the environment is set

        self.gateway = Gateway(self.sandboxes_per_function, self.in_process, address=self.url)
        self._serve(self.gateway, self.port, "billow-gateway")
        from local.queues import QueueWorker

        self.queues = QueueWorker().start()  # the billing run's workers, fed by moto's SQS
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        if self.gateway:
            self.gateway.stop()
        if self.queues:
            self.queues.stop()
        self.aws.stop()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    # One access-log line per request to moto (the billing run's queue is polled several times a
    # second) would bury the address printed below; errors are still logged.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stopping = threading.Event()

    def request_stop(signum, frame) -> None:
        if stopping.is_set():  # a second Ctrl-C: leave at once
            os._exit(130)
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        stack = LocalStack(
            port=int(os.environ.get("PORT", "3000")),
            stripe_port=int(os.environ.get("STRIPE_PORT", "12111")),
            vies_port=int(os.environ.get("VIES_PORT", "12112")),
        ).start()
    except PortTaken as taken:
        print(f"billow: {taken}", file=sys.stderr, flush=True)
        os._exit(1)
    from local.auth import issue_token
    from local.stack import DEMO_USER

    token = issue_token("acme", "admin")
    print(
        f"""
Billow is running on its embedded stack (no AWS account, no Docker).
  Console     {stack.url}/  (sign in as {DEMO_USER[0]} / {DEMO_USER[1]}: tenant "acme", admin)
  API         {stack.url}
  Swagger UI  {stack.url}/docs
  OpenAPI     {stack.url}/openapi.json
  AWS (moto)  {stack.aws.endpoint} (DynamoDB, S3, SQS, SES and the Cognito user pool)
  Stripe      {stack.stripe_url} (stand-in; key {STRIPE_SECRET_KEY}, webhooks to /v1/webhooks/stripe)
  VIES        {stack.vies_url} (stand-in: a VAT id with a right check digit is registered)
  Mail        {stack.url}/_local/mail (what SES sent, newest first; nothing is delivered)

Try it (a token for tenant "acme", role admin; `make token TENANT=x ROLE=viewer` prints others):
  curl -s -X POST {stack.url}/v1/customers -H "Authorization: Bearer {token}" \\
       -H "Content-Type: application/json" -d '{{"type":"company","company_name":"Muster GmbH"}}'

Everything is kept in memory: Ctrl-C stops everything, and the next run starts empty.""",
        flush=True,
    )
    while not stopping.wait(0.5):
        pass
    print("\nstopping...", flush=True)
    # Stop what stops within a few seconds; whatever still runs then is ended with the process.
    stopper = threading.Thread(target=stack.stop, daemon=True)
    stopper.start()
    stopper.join(timeout=3)
    os._exit(0)


if __name__ == "__main__":
    main()
