"""The embedded stack behaves like the deployed one where it matters for correctness: requests
run concurrently in isolated sandboxes, and `make run` starts and stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from local.stack import free_port
from tests.integration.conftest import Api

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_concurrent_requests_run_in_parallel_sandboxes_and_race_like_lambda(stack, api):
    # Given DATEV numbering, so every create races for the same counter
    api.request("PATCH", "/v1/settings", json={"datev_enabled": True, "debtor_number_start": 10000})
    pool = stack.gateway.functions["CustomersFunction"]

    # When 16 creates are sent at once
    def create(i: int) -> requests.Response:
        return Api(stack.url, api.tenant).post("/v1/customers", json={"type": "company", "company_name": f"C{i}"})

    with ThreadPoolExecutor(16) as workers:
        responses = list(workers.map(create, range(16)))

    # Then more than one sandbox served them, and the counter held under the race
    assert [r.status_code for r in responses] == [201] * 16
    assert pool.sandboxes > 1
    assert pool.sandboxes <= pool.size
    numbers = [r.json()["debtor_number"] for r in responses]
    assert len(set(numbers)) == 16


def test_concurrent_requests_of_many_tenants_never_see_each_others_data(stack, new_tenant):
    tenants = [new_tenant() for _ in range(12)]
    for tenant in tenants:
        tenant.post("/v1/customers", json={"type": "company", "company_name": tenant.tenant})

    def names(tenant: Api) -> list[str]:
        return [c["company_name"] for c in tenant.get("/v1/customers").json()["data"]]

    with ThreadPoolExecutor(12) as workers:
        for _ in range(3):
            seen = list(workers.map(names, tenants))
            assert seen == [[t.tenant] for t in tenants]


def _start(port: int, stripe_port: int, **env) -> subprocess.Popen:
    environment = {**os.environ, "PORT": str(port), "STRIPE_PORT": str(stripe_port), **env}
    return subprocess.Popen(
        [sys.executable, "-m", "local.run"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_until_serving(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            requests.get(f"http://127.0.0.1:{port}/openapi.json", timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.2)
    pytest.fail("make run did not start within 60 s")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_make_run_stops_within_seconds_without_a_traceback(sig):
    port, stripe_port = free_port(), free_port()
    process = _start(port, stripe_port)
    _wait_until_serving(process, port)
    # a request in flight, so sandboxes exist when the signal comes
    requests.get(f"http://127.0.0.1:{port}/v1/customers", timeout=10)
    started = time.monotonic()
    os.killpg(process.pid, sig)  # as a terminal's Ctrl-C or `kill -TERM -<pgid>` does: the whole group
    _, stderr = process.communicate(timeout=15)
    assert time.monotonic() - started < 5
    assert "Traceback" not in stderr
    assert "KeyboardInterrupt" not in stderr


def test_a_taken_port_names_the_variable_that_moves_it():
    with socket_on() as taken:
        process = _start(taken, free_port())
        _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert f"port {taken} is taken" in stderr
    assert "PORT" in stderr
    assert "Traceback" not in stderr


class socket_on:
    def __enter__(self) -> int:
        import socket

        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        return self.socket.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.socket.close()
