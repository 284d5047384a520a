"""Provider-shaped ids handed out before smsbridge.ids existed keep resolving, unchanged.

Golden values from each plugin's public id functions (the names SDK shims, faces and
callers use); ids already given to callers and stored as journal aliases must not move.
"""
from __future__ import annotations

import importlib

import pytest

GOLDEN = {
    "twilio": ("provider_id_for", "message_id_in", [
        ("sb_018f2a6b3c4d5e6f7a8b9c0d", "SM018f2a6b3c4d5e6f7a8b9c0d29e814b5"),
        ("sb_000000000000ffffffffffff", "SM000000000000ffffffffffff62067e01"),
        ("legacy-42", "SMd2f28565b13642e88c1e6b02a6c12afc")]),
    "messagebird": ("provider_id_for", "message_id_in", [
        ("sb_018f2a6b3c4d5e6f7a8b9c0d", "018f2a6b3c4d5e6f7a8b9c0d1522a7a6"),
        ("sb_000000000000ffffffffffff", "000000000000ffffffffffffba0ed317"),
        ("legacy-42", "d2f28565b13642e88c1e6b02a6c12afc")]),
    "infobip": ("provider_id_for", "message_id_in", [
        ("sb_018f2a6b3c4d5e6f7a8b9c0d", "018f2a6b3c4d-5e6f-7a8b9c0d-588062f3"),
        ("sb_000000000000ffffffffffff", "000000000000-ffff-ffffffff-504f2abf"),
        ("legacy-42", "dac0192e8656-a8c5-dd8405fb-a936e9f0")]),
    "sinch": ("provider_id_for", "message_id_in", [
        ("sb_018f2a6b3c4d5e6f7a8b9c0d", "01HWN6PF2DBSQQN2WW1MWBRF9P"),
        ("sb_000000000000ffffffffffff", "0000000000ZZZZZZZZZW89VQ03"),
        ("legacy-42", "6JYA2PBC9P8BM8R7KB0AKC2AQW")]),
    "plivo": ("provider_id_for", "message_id_in", [
        ("sb_018f2a6b3c4d5e6f7a8b9c0d", "018f2a6b-3c4d-45e6-bf7a-8b9c0dad7283"),
        ("sb_000000000000ffffffffffff", "00000000-0000-4fff-9fff-ffffff1129eb"),
        ("legacy-42", "a11047f9-57ad-47ea-a411-2649ceb8e368")]),
}


@pytest.mark.parametrize("provider", sorted(GOLDEN))
def test_ids_handed_out_stay_the_same(provider: str) -> None:
    wire = importlib.import_module(f"smsbridge_plugins.{provider}.wire")
    make, read = getattr(wire, GOLDEN[provider][0]), getattr(wire, GOLDEN[provider][1])
    for message_id, shaped in GOLDEN[provider][2]:
        assert make(message_id) == shaped
        assert read(shaped) == (message_id if message_id.startswith("sb") else None)


def test_no_plugin_knows_the_core_id_format() -> None:
    """Plugins pick an ``smsbridge.ids`` shape; only smsbridge/ids.py spells the id format."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = [f"{path.relative_to(root)}:{n}" for path in sorted((root / "plugins").rglob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "sb_" in line]
    offenders += [f"{path.relative_to(root)}:{n}" for path in sorted((root / "smsbridge").rglob("*.py"))
                  if path.name != "ids.py"
                  for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if '"sb_' in line]
    assert not offenders, offenders
