"""An HTTP gateway that behaves like the deployed HTTP API: it matches the routes template.yaml
declares, rejects missing or bad JWTs with 401 before any handler runs, and invokes the handler
the template names with an API Gateway v2 (payload 2.0) event. Requests run concurrently, each
function in a bounded pool of sandbox processes, as Lambda runs concurrent invocations. Besides the
API it serves the Swagger UI (/docs, /openapi.json) and the local mailbox (GET /_local/mail)."""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import logging
import multiprocessing
import re
import signal
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from werkzeug.wrappers import Request, Response

from local import auth, template

MAX_BODY_BYTES = 10 * 1024 * 1024  # HTTP API's payload limit
log = logging.getLogger("billow.gateway")


@dataclass
class LambdaContext:
    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 512
    timeout_seconds: int = 29

    def __post_init__(self):
        self.invoked_function_arn = f"arn:aws:lambda:eu-central-1:000000000000:function:{self.function_name}"
        self.function_version = "$LATEST"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _load_handler(function: template.Function):
    spec = importlib.util.spec_from_file_location(f"billow_function_{function.logical_id}", function.handler_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, function.handler_name)


def _invoke(handler, function: template.Function, event: dict) -> dict:
    return handler(event, LambdaContext(function.logical_id, event["requestContext"]["requestId"]))


def _sandbox_main(function: template.Function, connection) -> None:
    """One Lambda execution environment: import the handler once (the cold start), then serve one
    invocation at a time until told to stop. Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    handler = _load_handler(function)
    while True:
        try:
            event = connection.recv()
        except EOFError:
            return
        if event is None:
            return
        try:
            result = _invoke(handler, function, event)
        except Exception:
            result = {_CRASH: traceback.format_exc()}
        connection.send(result)


_CRASH = "__billow_sandbox_crash__"


class SandboxCrash(Exception):
    pass


class _ProcessSandbox:
    """A process of its own, as Lambda gives each concurrent invocation an environment of its own:
    Powertools keeps the current event in class attributes, so threads could not share a module."""

    def __init__(self, function: template.Function):
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=_sandbox_main, args=(function, child), name=f"sandbox-{function.logical_id}", daemon=True
        )
        self.process.start()
        child.close()

    def invoke(self, event: dict) -> dict:
        try:
            self.connection.send(event)
            result = self.connection.recv()
        except (EOFError, OSError) as error:
            raise SandboxCrash(f"the sandbox died: {error}") from None
        if _CRASH in result:
            raise SandboxCrash(result[_CRASH])
        return result

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.send(None)
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()


class _InProcessSandbox:
    """The handler imported into this process (benchmarks that count calls in-process)."""

    def __init__(self, function: template.Function):
        self.function = function
        self.handler = _load_handler(function)

    def invoke(self, event: dict) -> dict:
        try:
            return _invoke(self.handler, self.function, event)
        except Exception:
            raise SandboxCrash(traceback.format_exc()) from None

    def stop(self) -> None:
        pass


class FunctionPool:
    """Up to ``size`` sandboxes of one function, created as concurrency demands (each one's first
    invocation is a cold start) and reused warm, one invocation at a time each, as Lambda does."""

    def __init__(self, function: template.Function, size: int, in_process: bool = False):
        self.function = function
        self.size = 1 if in_process else size
        self._sandbox_type = _InProcessSandbox if in_process else _ProcessSandbox
        self._slots = threading.BoundedSemaphore(self.size)
        self._idle: list = []
        self._all: list = []
        self._lock = threading.Lock()

    @property
    def sandboxes(self) -> int:
        return len(self._all)

    def invoke(self, event: dict) -> dict:
        with self._slots:
            with self._lock:
                sandbox = self._idle.pop() if self._idle else None
            if sandbox is None:
                sandbox = self._sandbox_type(self.function)
                with self._lock:
                    self._all.append(sandbox)
            try:
                result = sandbox.invoke(event)
            except SandboxCrash:
                with self._lock:
                    self._all.remove(sandbox)
                sandbox.stop()
                raise
            with self._lock:
                self._idle.append(sandbox)
            return result

    def stop(self) -> None:
        with self._lock:
            sandboxes, self._all, self._idle = self._all, [], []
        for sandbox in sandboxes:
            sandbox.stop()


def _route_pattern(path: str) -> re.Pattern:
    regex = re.sub(r"\\\{([a-zA-Z_][a-zA-Z0-9_]*)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(f"^{regex}$")


class Gateway:
    def __init__(self, sandboxes_per_function: int = 4, in_process: bool = False, address: str | None = None):
        # The domain API Gateway reports in each event is the one it serves, never the caller's Host.
        self.domain = urlsplit(address).netloc if address else None
        self.functions = {
            name: FunctionPool(f, sandboxes_per_function, in_process) for name, f in template.api_functions().items()
        }
        routes = template.routes()
        # API Gateway prefers the most specific route: fewer path variables first; what no route
        # matches goes to the $default route.
        self.default_route = next((r for r in routes if r.path == template.DEFAULT_ROUTE), None)
        self.routes = sorted(
            (r for r in routes if r is not self.default_route), key=lambda r: (r.path.count("{"), -len(r.path))
        )
        self.patterns = {r: _route_pattern(r.path) for r in self.routes}

    def match(self, method: str, path: str) -> tuple[template.Route | None, dict]:
        """The route and its path parameters; what no route matches goes to $default, if any."""
        for route in self.routes:
            found = self.patterns[route].match(path)
            if found and route.method == method:
                return route, found.groupdict()
        return self.default_route, {}

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.path in ("/openapi.json", "/docs"):
            return self._docs(request)
        if request.path == "/_local/mail" and request.method == "GET":  # the local stack's own, not the API's
            from local.mailbox import mail_response

            return mail_response(request)
        if request.method in ("GET", "HEAD") and is_console_path(request.path):
            return console_response(request.path)
        route, params = self.match(request.method, request.path)
        if route is None:
            return _error(404, "not_found", "no such route")
        if request.content_length and request.content_length > MAX_BODY_BYTES:
            return _error(413, "payload_too_large", "the body exceeds 10 MB")
        claims = None
        if route.authorized:
            try:
                claims = auth.verified_claims(request.headers.get("Authorization"))
            except auth.Unauthorized:
                return _error(401, "unauthorized", "send a valid bearer token: Authorization: Bearer <JWT>")
        event = to_event(request, route, params, claims, self.domain)
        try:
            result = self.functions[route.function].invoke(event)
        except SandboxCrash as crash:
            log.error("handler %s raised:\n%s", route.function, crash)
            return _error(500, "internal_error", "the handler failed; see the gateway's log")
        return from_result(result)

    def stop(self) -> None:
        for pool in self.functions.values():
            pool.stop()

    def _docs(self, request: Request) -> Response:
        from billing.http.openapi import openapi_document, swagger_page

        if request.path == "/openapi.json" or request.args.get("format") == "json":  # Swagger UI links ?format=json
            return Response(openapi_document(), status=200, content_type="application/json")
        return Response(swagger_page(), status=200, content_type="text/html")


CONSOLE_DIST = template.ROOT / "console" / "dist"
# What the API and its pages own; everything else on the origin is the console (CloudFront's
# behaviours in template.yaml route the same way).
API_PREFIXES = ("/v1/", "/i/", "/s/", "/_local/")
API_PATHS = ("/v1", "/docs", "/openapi.json")


def is_console_path(path: str) -> bool:
    return not path.startswith(API_PREFIXES) and path not in API_PATHS


def console_headers(sign_in_endpoint: str) -> dict[str, str]:
    """The security headers CloudFront adds to the console (see ConsoleHeaders in template.yaml)."""
    connect = " ".join(["'self'", *([sign_in_endpoint] if sign_in_endpoint else [])])
    return {
        "Content-Security-Policy": (
            f"default-src 'self'; connect-src {connect}; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
        ),
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
    }


def console_response(path: str) -> Response:
    """A built asset (hashed: cached for a year), else index.html (never cached) for the app's own routes."""
    import mimetypes
    import os

    index = CONSOLE_DIST / "index.html"
    if not index.exists():
        return _error(404, "not_found", "the console is not built: `make run` builds it")
    wanted = (CONSOLE_DIST / path.lstrip("/")).resolve()
    asset = wanted if wanted.is_file() and CONSOLE_DIST.resolve() in wanted.parents else None
    target = asset if asset is not None and path != "/" else index
    content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    response = Response(target.read_bytes(), status=200, content_type=content_type)
    hashed = target.parent.name == "assets"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if hashed else "no-cache"
    for name, value in console_headers(os.environ.get("SIGN_IN_ENDPOINT", "")).items():
        response.headers[name] = value
    return response


def to_event(
    request: Request, route: template.Route, params: dict, claims: dict | None, domain: str | None = None
) -> dict:
    raw = request.get_data(cache=False)
    try:
        body, encoded = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        body, encoded = base64.b64encode(raw).decode(), True
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    # What API Gateway sets itself, over whatever the caller sent: the scheme it was reached by,
    # and the caller's address appended to any X-Forwarded-For the caller claimed.
    headers["x-forwarded-proto"] = request.scheme
    claimed = headers.get("x-forwarded-for")
    source = request.remote_addr or "127.0.0.1"
    headers["x-forwarded-for"] = f"{claimed}, {source}" if claimed else source
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.query_string.decode(), keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    now = time.time()
    route_key = route.path if route.path == template.DEFAULT_ROUTE else f"{route.method} {route.path}"
    authorizer = {"jwt": {"claims": {k: str(v) for k, v in claims.items()}, "scopes": None}} if claims else None
    event = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query_string.decode(),
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": domain or request.host,
            "domainPrefix": "local",
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.user_agent.string,
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if authorizer:
        event["requestContext"]["authorizer"] = authorizer
    if query:
        event["queryStringParameters"] = query
    if params:
        event["pathParameters"] = params
    if raw:
        event["body"] = body
    if request.cookies:
        event["cookies"] = [f"{k}={v}" for k, v in request.cookies.items()]
    return event


def from_result(result: dict) -> Response:
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    response = Response(data, status=int(result.get("statusCode", 200)))
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = value
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.add(name, value)
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    return response


def _error(status: int, error_type: str, message: str) -> Response:
    """The gateway's own answers carry the API's error body (in AWS, API Gateway's 401 and 413
    carry {"message": ...}; the OpenAPI document allows both)."""
    from billing.http.errors import error_body  # once the environment is set, as the handlers are

    return Response(json.dumps(error_body(error_type, message)), status=status, content_type="application/json")
