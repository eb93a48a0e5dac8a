"""The live-server helpers on a busy machine: a port picked free can be taken before the server binds it; the server
then starts on another, and is never mistaken for whoever holds the port."""

from __future__ import annotations

import pytest

from support import live_server
from support.live_server import PortTaken, Server, on_free_port, running_server


def test_a_server_whose_port_was_taken_starts_on_another_and_never_takes_the_holder_for_itself(tmp_path, monkeypatch):
    from selfscore.web import create_app

    # the holder answers /healthz with 200, as any selfscore would: only its pid tells it from the server started
    with running_server(create_app(processes=0)) as holder:
        taken = int(holder.rsplit(":", 1)[1])
        picks, free = iter([taken]), live_server.free_port
        monkeypatch.setattr(live_server, "free_port", lambda: next(picks, None) or free())
        with Server(tmp_path, "--processes", "1") as server:
            assert server.port != taken
            assert server.health()["pid"] in {server.process.pid, *server.children()}
        assert "address already in use" in (tmp_path / f"server-{taken}.log").read_text().lower()
        with pytest.raises(PortTaken):  # a port the test named is tried alone
            Server(tmp_path, "--processes", "1", port=taken)


def test_on_free_port_starts_again_on_another_port_while_the_port_was_taken():
    tried: list[int] = []

    def start(port: int) -> int:
        tried.append(port)
        if len(tried) < 3:
            raise PortTaken(f"{port} taken")
        return port

    assert on_free_port(start) == tried[-1] and len(tried) == 3

    def never(port: int) -> int:
        raise PortTaken(f"{port} taken")

    with pytest.raises(PortTaken):
        on_free_port(never, tries=2)
