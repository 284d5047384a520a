"""Signed login tokens (smsbridge.gateway.tokens, issue 13): what any process accepts.

A token must log in exactly the client it was issued to, for its lifetime, in every
process reading the same config, and nothing else: not another client, not another
face, not after a password change, not after tampering with a single character.
"""
from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsbridge.gateway.clients import GatewayClient
from smsbridge.gateway.tokens import MAX_TOKEN_LENGTH, InvalidToken, TokenSigner

SHOP = GatewayClient("shop", None, {"face": {"username": "shop", "password": "s3cret-Pa55"}})
TWIN = GatewayClient("twin", None, {"face": {"username": "shop", "password": "s3cret-Pa55"}})  # same secret
ÁRVÍZ = GatewayClient("árvíz tűrő.shop", None, {"face": {"username": "x", "password": "ü-pw"}})
PLAIN = GatewayClient("plain", None, {"other": {"username": "p", "password": "q"}})
CLIENTS = [SHOP, TWIN, ÁRVÍZ, PLAIN]


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def signer(clock: Clock | None = None, purpose: str = "face-rest", clients: list[GatewayClient] = CLIENTS,
           ) -> TokenSigner:
    return TokenSigner(purpose, clients, section="face", clock=clock or Clock())


def reason(sign: TokenSigner, value: object) -> str:
    with pytest.raises(InvalidToken) as info:
        sign.verify(value)  # type: ignore[arg-type]
    return info.value.reason


@pytest.mark.parametrize("client", [SHOP, TWIN, ÁRVÍZ])
def test_a_token_logs_in_its_client_in_any_process_for_its_lifetime(client: GatewayClient) -> None:
    clock = Clock()
    token = signer(clock).issue(client, 60)
    assert token.client == client and token.expires - token.issued == pytest.approx(60)
    other_process = signer(clock)  # same config, nothing shared
    assert other_process.verify(token.value).client == client
    clock.now += 59.9
    assert other_process.client_of(token.value) == client
    clock.now += 0.2
    assert reason(other_process, token.value) == "expired"
    assert other_process.client_of(token.value) is None


def test_tokens_are_unique_and_hide_themselves() -> None:
    sign = signer()
    tokens = [sign.issue(SHOP, 60) for _ in range(200)]
    assert len({t.value for t in tokens}) == 200 and sign.issued == 200
    assert tokens[0].value not in repr(tokens[0])
    assert [t.issued for t in tokens] == sorted({t.issued for t in tokens})  # strictly increasing


def test_a_token_for_one_client_never_logs_in_another() -> None:
    sign = signer()
    token = sign.issue(SHOP, 60).value
    assert sign.verify(token).client == SHOP  # TWIN has the same credentials, and still
    fields = token.split(".")
    for name in (TWIN.name, ÁRVÍZ.name, PLAIN.name, "nobody"):
        fields[1] = base64.urlsafe_b64encode(name.encode()).rstrip(b"=").decode()
        assert reason(sign, ".".join(fields)) in ("bad_signature", "unknown_client")
    with pytest.raises(ValueError, match="no 'face' credentials"):
        sign.issue(PLAIN, 60)


def test_another_face_or_a_changed_password_refuses_the_token() -> None:
    clock = Clock()
    token = signer(clock).issue(SHOP, 60).value
    assert reason(signer(clock, purpose="face-soap"), token) == "bad_signature"
    changed = GatewayClient("shop", None, {"face": {"username": "shop", "password": "new-Pa55"}})
    assert reason(signer(clock, clients=[changed]), token) == "bad_signature"
    assert reason(signer(clock, clients=[TWIN]), token) == "unknown_client"


def test_revoke_all_refuses_earlier_tokens_in_this_process_only() -> None:
    clock = Clock()
    sign, other = signer(clock), signer(clock)
    before = sign.issue(SHOP, 60).value
    sign.revoke_all()
    assert reason(sign, before) == "revoked"
    assert other.verify(before).client == SHOP  # no shared state: other processes still accept it
    after = sign.issue(SHOP, 60).value  # same clock reading as the revocation, and still valid
    assert sign.verify(after).client == SHOP


def test_an_expired_or_revoked_word_is_only_said_of_genuine_tokens() -> None:
    clock = Clock()
    sign = signer(clock)
    fields = sign.issue(SHOP, 60).value.split(".")
    fields[3] = "1"  # expired long ago, but the MAC no longer holds
    assert reason(sign, ".".join(fields)) == "bad_signature"


@pytest.mark.parametrize("value", [None, "", "sb1", "sb1.....", "x" * (MAX_TOKEN_LENGTH + 1), "Bearer x",
                                   "sb2.c2hvcA.1.2.AAAAAAAAAAAAAAAAAAAAAA.AAAA", "ÿÿÿ", "sb1.c2hvcA.-1.2.AA.AA",
                                   "sb1.c2hvcA.1.2.AAAAAAAAAAAAAAAAAAAAAA.A", 12345])
def test_malformed_values_are_refused(value: object) -> None:
    assert reason(signer(), value) == "malformed"


_ISSUED = signer().issue(SHOP, 3600)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_tampering_is_refused(data: st.DataObject) -> None:
    """Change, drop or insert characters anywhere: never accepted, never a crash."""
    value = _ISSUED.value
    sign = signer(Clock(_ISSUED.issued + 1))
    alphabet = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \x00é")
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(value)))
        action = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        char = data.draw(alphabet)
        if action == "replace" and position < len(value):
            value = value[:position] + char + value[position + 1:]
        elif action == "delete":
            value = value[:position] + value[position + 1:]
        else:
            value = value[:position] + char + value[position:]
    if value == _ISSUED.value:
        assert sign.verify(value).client == SHOP
    else:
        assert reason(sign, value) in ("malformed", "unknown_client", "bad_signature")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_is_never_a_token(text: str) -> None:
    assert signer().client_of(text) is None
