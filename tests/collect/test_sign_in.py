"""Sign-in under a burst, in the library, on SQLite and on PostgreSQL: each wrong password is counted before it is
checked, in one locked step, per address and per user name; the back-off ends; scrypt runs in a small bounded pool."""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from selfscore.collect import access as access_module
from selfscore.collect.access import Access, SignInLimits, SignInRefused

PASSWORD = "正确的管理员密码-2021"


class CountingScrypt:
    """hashlib.scrypt, counting its calls and how many run at once; ``gate`` (when given) holds each call until set."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.real = hashlib.scrypt
        self.gate = gate
        self.calls = self.running = self.most = 0
        self.lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            if self.gate is not None:
                assert self.gate.wait(60), "the test never opened the gate"
            return self.real(*args, **kwargs)
        finally:
            with self.lock:
                self.running -= 1


def counting_scrypt(monkeypatch, gate: threading.Event | None = None) -> CountingScrypt:  # noqa: ANN001
    access_module._dummy_hash()  # made once per process: not one of the calls a test counts
    counting = CountingScrypt(gate)
    monkeypatch.setattr(hashlib, "scrypt", counting)
    return counting


@pytest.fixture
def scrypt(monkeypatch) -> CountingScrypt:
    return counting_scrypt(monkeypatch)


@pytest.fixture
def held_scrypt(monkeypatch) -> CountingScrypt:
    """scrypt that holds every call until the test sets ``held_scrypt.gate``."""
    return counting_scrypt(monkeypatch, threading.Event())


def attempt(access: Access, name: str, password: str, client: str) -> str:
    """What one sign-in attempt came to: signed_in, wrong, or the reason it was refused unchecked."""
    try:
        return "wrong" if access.log_in(name, password, client) is None else "signed_in"
    except SignInRefused as refused:
        assert refused.retry_after >= 1
        return refused.reason


def all_at_once(count: int, one) -> list[str]:  # noqa: ANN001
    """``one(i)`` in ``count`` threads released together, as a burst of requests arrives."""
    start = threading.Barrier(count)

    def run(i: int) -> str:
        start.wait()
        return one(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture
def access(database) -> Access:
    made = Access(database, SignInLimits(hashing_wait=60))
    made.set_password(PASSWORD)
    return made


def test_forty_wrong_passwords_at_once_from_one_address_are_checked_five_times(access, scrypt):
    results = all_at_once(40, lambda i: attempt(access, "admin", f"guess number {i}", "10.0.0.1"))
    assert results.count("wrong") == 5 and results.count("address") == 35
    assert scrypt.calls == 5
    # the real user, from the same address, is refused too, unchecked; from another address they sign in
    assert attempt(access, "admin", PASSWORD, "10.0.0.1") == "address" and scrypt.calls == 5
    assert attempt(access, "admin", PASSWORD, "10.0.0.2") == "signed_in"


def test_forty_addresses_guessing_one_account_at_once_are_checked_ten_times(access, scrypt):
    results = all_at_once(40, lambda i: attempt(access, "admin", f"guess number {i}", f"10.1.0.{i}"))
    assert results.count("wrong") == 10 and results.count("account") == 30
    assert scrypt.calls == 10
    assert attempt(access, "admin", PASSWORD, "10.2.0.1") == "account"  # the account waits, wherever one comes from
    # guesses at a user name that does not exist count against that name just the same
    others = all_at_once(20, lambda i: attempt(access, "nobody", "guess", f"10.3.0.{i}"))
    assert others.count("wrong") == 10 and others.count("account") == 10


def test_the_back_off_ends_when_the_window_has_passed_and_a_right_password_clears_it(access, scrypt, monkeypatch):
    now = access_module.utcnow()
    monkeypatch.setattr(access_module, "utcnow", lambda: now)
    for n in range(5):
        assert attempt(access, "admin", f"guess {n}", "10.0.0.1") == "wrong"
    with pytest.raises(SignInRefused) as refused:
        access.log_in("admin", PASSWORD, "10.0.0.1")
    assert refused.value.reason == "address" and refused.value.retry_after == 15 * 60

    # five minutes on, the wait is ten minutes; once the fifteen have passed, the right password works
    monkeypatch.setattr(access_module, "utcnow", lambda: now + timedelta(minutes=5))
    with pytest.raises(SignInRefused) as refused:
        access.log_in("admin", PASSWORD, "10.0.0.1")
    assert refused.value.retry_after == 10 * 60
    monkeypatch.setattr(access_module, "utcnow", lambda: now + timedelta(minutes=15, seconds=1))
    assert attempt(access, "admin", PASSWORD, "10.0.0.1") == "signed_in"
    # and the address starts again from nothing: five more wrong passwords before the next wait
    assert [attempt(access, "admin", f"again {n}", "10.0.0.1") for n in range(6)] == ["wrong"] * 5 + ["address"]


def wait_until(condition, seconds: float = 60) -> None:  # noqa: ANN001
    """Poll until ``condition()`` holds (the deadline only keeps a broken build from hanging)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def test_at_most_two_passwords_are_hashed_at_once_and_the_queue_beyond_gets_busy(database, held_scrypt):
    access, scrypt = Access(database, SignInLimits(hashing=2, hashing_queue=3, hashing_wait=60)), held_scrypt
    # ten people at ten addresses, under ten names: no limit of the throttle stops any of them
    with ThreadPoolExecutor(10) as pool:
        futures = [pool.submit(attempt, access, f"user {i}", "guess", f"10.4.0.{i}") for i in range(10)]
        # two are hashing, three wait for a slot, five are told at once to come back
        wait_until(lambda: scrypt.running == 2 and sum(future.done() for future in futures) == 5)
        assert [future.result() for future in futures if future.done()] == ["busy"] * 5
        scrypt.gate.set()
        results = [future.result() for future in futures]
    assert sorted(results) == ["busy"] * 5 + ["wrong"] * 5 and scrypt.most == 2 and scrypt.calls == 5
    # an attempt told to come back was not checked, so it did not count: its address and name may try again at once
    again = results.index("busy")
    assert attempt(access, f"user {again}", "guess", f"10.4.0.{again}") == "wrong"


def test_an_admin_setting_a_password_waits_for_a_slot_while_sign_ins_are_refused(database, held_scrypt):
    access, scrypt = Access(database, SignInLimits(hashing=1, hashing_queue=0, hashing_wait=60)), held_scrypt
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(access.add_user, "张三", "张三的密码很长很长很长")
        second = pool.submit(access.add_user, "李四", "李四的密码很长很长很长")
        wait_until(lambda: scrypt.running == 1)
        assert attempt(access, "张三", "guess", "10.5.0.1") == "busy"  # the one slot is taken and nobody may queue
        scrypt.gate.set()
        first.result(), second.result()
    assert sorted(user.name for user in access.users()) == ["张三", "李四"] and scrypt.most == 1
