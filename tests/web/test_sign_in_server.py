"""Sign-in under a burst, through a real `selfscore serve` on SQLite and PostgreSQL: 100 wrong passwords at once are
checked at most the limit's number of times, the server's memory stays flat, every 429 says when to come back, and the
right password works again once the back-off has passed."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from click.testing import CliRunner

from selfscore.cli import main
from support.collection_web import ADMIN, PASSWORD, form_token
from support.live_server import Server

BURST = 100


def memory_kb(pid: int) -> dict[str, int]:
    """The process's resident memory now (VmRSS) and at its peak (VmHWM), in kB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    return {key: int(fields[key].split()[0]) for key in ("VmRSS", "VmHWM")}


class SignIn:
    """Sign-in attempts against ``server``, each from the address it names (sent as X-Forwarded-For, which the
    server trusts from loopback as it would from its proxy), all with one sign-in form's token."""

    def __init__(self, server: Server) -> None:
        self.client = httpx.Client(base_url=server.base, trust_env=False, timeout=120,
                                   limits=httpx.Limits(max_connections=BURST))
        page = self.client.get("/login")
        self.token = form_token(page.text)
        self.cookie = f"selfscore_login={page.cookies['selfscore_login']}"

    def __enter__(self) -> SignIn:
        return self

    def __exit__(self, *_) -> None:
        self.client.close()  # before the server stops: it waits for open connections

    def attempt(self, address: str, name: str, password: str) -> httpx.Response:
        return self.client.post("/login", data={"name": name, "password": password, "csrf_token": self.token},
                                headers={"X-Forwarded-For": address, "Cookie": self.cookie})

    def until_refused(self, attempt) -> int:  # noqa: ANN001
        """Send ``attempt(i)`` (address, name, password) one at a time until one is refused; how many were checked."""
        count = 0
        while (response := self.attempt(*attempt(count))).status_code == 401:
            count += 1
        assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
        return count

    def burst(self, attempt) -> list[httpx.Response]:  # noqa: ANN001
        """``attempt(i)`` for i in 0..99, all sent at once."""
        start = threading.Barrier(BURST)

        def one(i: int) -> httpx.Response:
            start.wait()
            return attempt(i)

        with ThreadPoolExecutor(BURST) as pool:
            return list(pool.map(one, range(BURST)))


def checked(responses: list[httpx.Response]) -> int:
    """How many passwords were checked: each a 401; every other answer is a 429 saying when to come back."""
    for response in responses:
        assert response.status_code in (401, 429), response.text[:300]
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1 and "后再试" in response.text
    return sum(response.status_code == 401 for response in responses)


def test_a_burst_of_wrong_passwords_is_checked_at_most_the_limit_and_the_right_one_works_after_the_back_off(
        database_args, tmp_path):
    result = CliRunner().invoke(main, ["admin", "set-password", *database_args, "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    with Server(tmp_path, *database_args) as server, SignIn(server) as sign_in:
        assert sign_in.attempt("10.9.9.9", ADMIN, "warming up").status_code == 401  # scrypt's first run is not the burst's
        before = memory_kb(server.process.pid)["VmRSS"]

        # one address, one account: at most five checked (the limit per address), the others told when to come back;
        # the burst's attempts told the hashing pool was full did not count, so wrong passwords one by one fill the five
        one_address = sign_in.burst(lambda i: sign_in.attempt("10.0.0.1", ADMIN, f"guess {i}"))
        assert 1 <= checked(one_address) <= 5
        assert checked(one_address) + sign_in.until_refused(lambda i: ("10.0.0.1", ADMIN, f"more {i}")) == 5
        refused = sign_in.attempt("10.0.0.1", ADMIN, PASSWORD)
        assert refused.status_code == 429 and "这个地址" in refused.text  # the real user too, from that address
        assert sign_in.attempt("10.0.0.2", ADMIN, PASSWORD).status_code == 303  # but not from another one

        # a hundred addresses, one account: at most ten checked (the limit per account)
        one_account = sign_in.burst(lambda i: sign_in.attempt(f"10.1.0.{i}", ADMIN, f"guess {i}"))
        assert 1 <= checked(one_account) <= 10
        assert checked(one_account) + sign_in.until_refused(lambda i: (f"10.1.1.{i}", ADMIN, f"more {i}")) == 10
        refused = sign_in.attempt("10.2.0.1", ADMIN, PASSWORD)
        assert refused.status_code == 429 and "这个用户名" in refused.text

        # a hundred addresses, a hundred names: no limit applies, the hashing pool alone bounds the memory
        everywhere = sign_in.burst(lambda i: sign_in.attempt(f"10.3.0.{i}", f"nobody {i}", "guess"))
        assert checked(everywhere) >= 2

        grown = memory_kb(server.process.pid)["VmHWM"] - before
        assert grown < 100 * 1024, f"the server's peak memory grew by {grown // 1024} MB"
        log = server.log.read_text(errors="replace")
        # each checked password is in the operator's log, and only those
        assert log.count("登录失败") == 1 + 5 + 10 + checked(everywhere)

    # The back-off ends by itself: started again with a short window, the same database lets the real user in from
    # the address that guessed, once its failures are older than the window.
    with Server(tmp_path, *database_args, "--login-window", "2") as server, SignIn(server) as sign_in:
        deadline = time.monotonic() + 60  # only against a hang: the test waits for the condition, not for a time
        while (response := sign_in.attempt("10.0.0.1", ADMIN, PASSWORD)).status_code == 429:
            assert time.monotonic() < deadline, response.text[:300]
            time.sleep(min(int(response.headers["Retry-After"]), 1))
        assert response.status_code == 303
