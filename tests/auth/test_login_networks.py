"""Password guesses across rotating addresses (docs/auth.md, "Two-stage login").

IPv6 clients are counted per /64 (a host gets a whole /64), IPv4 clients per address; one user
name gets at most 20 evaluated wrong passwords per 15 minutes from all networks together, except
from networks where the account completed a login before; unknown names answer exactly like
existing ones; the owner's usual networks are never refused by strangers' guesses.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from fhir_server.auth import limits
from fhir_server.auth.storage import utcnow
from tests.auth.helpers import PASSWORD
from tests.auth.test_login_limits import PHONE, _normalised, _start


@pytest.mark.parametrize(("address", "network"), [
    ("192.0.2.7", "192.0.2.7"),
    ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
    ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
    ("::ffff:192.0.2.7", "192.0.2.7"),
    ("fe80::1%eth0", "fe80::/64"),
    ("", "unknown"),
    (None, "unknown"),
])
def test_client_networks(address: str | None, network: str) -> None:
    assert limits.network_of(address) == network


def _one_address(index: int) -> str:
    return f"2001:db8:1:2::{index + 1:x}"


def test_addresses_of_one_ipv6_64_share_the_name_limit(smart, evaluated):
    """20 addresses of one /64, four guesses each: 5 evaluated, not 80."""
    for index in range(20):
        for _ in range(4):
            _start(smart, _one_address(index))  # a lock page ends the login: a new one per guess
            smart.password("anna", "nope")
    assert len(evaluated) == limits.MAX_PASSWORD_FAILURES
    _start(smart, "2001:db8:1:2:ffff::1")
    assert smart.password("anna").status_code == 429  # the right password too, from that /64
    _start(smart, "2001:db8:1:3::1")  # the next /64 is another network
    assert smart.password("anna").status_code == 303


def test_addresses_of_one_ipv6_64_share_the_address_limit(smart):
    smart.service.settings = replace(smart.service.settings, login_failures_per_ip=3)
    for index, name in enumerate(("nobody", "anna", "boris")):
        _start(smart, _one_address(index))
        assert smart.password(name, "nope").status_code == 401
    _start(smart, _one_address(7))
    refused = smart.web.get("/auth/login")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    _start(smart, "2001:db8:9::1")
    assert smart.password("anna").status_code == 303


def _guesses_from_many_networks(smart, name: str, count: int) -> list[tuple[int, str]]:
    answers = []
    for index in range(count):
        _start(smart, f"203.0.{113 + index // 200}.{index % 200 + 1}")
        answers.append(_normalised(smart.password(name, "nope"), name))
    return answers


def test_one_name_gets_a_bounded_number_of_guesses_from_any_number_of_networks(smart, evaluated):
    answers = _guesses_from_many_networks(smart, "anna", 60)
    assert len(evaluated) == limits.MAX_ACCOUNT_FAILURES
    statuses = [status for status, _ in answers]
    assert statuses == [401] * (limits.MAX_ACCOUNT_FAILURES - 1) + [429] * (61 - limits.MAX_ACCOUNT_FAILURES)
    _start(smart, "198.51.100.50")  # a new network, the right password: refused until the window ends
    refused = smart.password("anna")
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 15 * 60 + 1
    assert "locked until" in refused.get_data(as_text=True)
    assert len(evaluated) == limits.MAX_ACCOUNT_FAILURES
    # the window is fixed: once it is over, the name may be tried again
    smart.service.auth_store.limits.update_many({}, {"$set": {"start": utcnow() - timedelta(minutes=16)}})
    _start(smart, "198.51.100.50")
    assert smart.password("anna").status_code == 303


def test_unknown_names_get_exactly_the_answers_of_existing_ones(smart):
    anna = _guesses_from_many_networks(smart, "anna", limits.MAX_ACCOUNT_FAILURES + 3)
    smart.service.auth_store.limits.delete_many({})
    nobody = _guesses_from_many_networks(smart, "nobody", limits.MAX_ACCOUNT_FAILURES + 3)
    assert anna == nobody


def test_strangers_cannot_lock_the_owner_out_of_a_network_they_signed_in_from(smart, evaluated):
    _start(smart, "2001:db8:7:7::10")
    assert smart.password("anna").status_code == 303
    assert smart.code(smart.last_code(PHONE)).status_code == 303
    _guesses_from_many_networks(smart, "anna", 40)
    _start(smart, "2001:db8:7:7::99")  # another address of the owner's /64
    assert smart.password("anna").status_code == 303
    assert smart.code(smart.last_code(PHONE)).status_code == 303
    # a known network keeps its own limit of five wrong passwords
    before = len(evaluated)
    for _ in range(limits.MAX_PASSWORD_FAILURES + 3):
        _start(smart, "2001:db8:7:7::10")
        smart.password("anna", "nope")
    assert len(evaluated) - before == limits.MAX_PASSWORD_FAILURES


def test_a_completed_login_elsewhere_does_not_reopen_the_window(smart, evaluated):
    _guesses_from_many_networks(smart, "anna", limits.MAX_ACCOUNT_FAILURES)
    _start(smart, "198.51.100.60")
    assert smart.password("anna", PASSWORD).status_code == 429
    assert len(evaluated) == limits.MAX_ACCOUNT_FAILURES


def test_users_unlock_clears_the_name_window_and_keeps_known_networks(smart):
    _start(smart, "198.51.100.70")
    assert smart.password("anna").status_code == 303
    assert smart.code(smart.last_code(PHONE)).status_code == 303
    _guesses_from_many_networks(smart, "anna", limits.MAX_ACCOUNT_FAILURES)
    assert smart.service.accounts.unlock("anna")
    _start(smart, "198.51.100.80")
    assert smart.password("anna").status_code == 303
    assert smart.service.auth_store.limits.count_documents({"_id": {"$regex": "^known\\|"}}) == 1
