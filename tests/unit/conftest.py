import socket

import pytest


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch):
    """Unit tests run against in-memory fakes: any network use is a bug in the test."""

    def refuse(*args, **kwargs):
        raise RuntimeError("unit tests must not open sockets")

    monkeypatch.setattr(socket.socket, "connect", refuse)
