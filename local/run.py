"""Start the whole embedded stack: moto's server, the tables and buckets, the gateway."""

from __future__ import annotations

import logging
import os
import signal
import threading

from werkzeug.serving import make_server

from local.stack import EmbeddedAws, free_port


class LocalStack:
    def __init__(self, port: int | None = None, aws_port: int | None = None):
        self.aws = EmbeddedAws(aws_port)
        self.port = port if port is not None else free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = None
        self._thread = None
        self.gateway = None

    def start(self) -> LocalStack:
        self.aws.start()
        from local.gateway import Gateway  # imports the handlers: only once the environment is set

        self.gateway = Gateway()
        self._server = make_server("127.0.0.1", self.port, self.gateway, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="billow-gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
        self.aws.stop()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops it as Ctrl-C does
    stack = LocalStack(port=int(os.environ.get("PORT", "3000"))).start()
    from local.auth import issue_token

    token = issue_token("acme", "admin")
    print(
        f"""
Billow is running on its embedded stack (no AWS account, no Docker).
  API         {stack.url}
  Swagger UI  {stack.url}/docs
  OpenAPI     {stack.url}/openapi.json
  AWS (moto)  {stack.aws.endpoint}

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
