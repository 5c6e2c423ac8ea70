"""The seal tells a complete file from any prefix of it and from a later edit."""

from __future__ import annotations

from tagging.seal import SEAL_PREFIX, seal, unseal
from tests.tagging.definitions import shipped_text


def test_a_sealed_file_checks_and_unseals_to_its_content() -> None:
    body = shipped_text().encode()
    sealed = seal(body)
    assert sealed.startswith(body) and sealed.count(b"\n") == body.count(b"\n") + 1
    assert unseal(sealed).state == "sealed" and unseal(sealed).body == body
    assert unseal(sealed.rstrip(b"\n")).state == "sealed"  # the last newline is optional


def test_no_proper_prefix_of_a_sealed_file_checks() -> None:
    sealed = seal(b"tags:\n  - name: orderer:plan\n  - name: orderer:topup\n")
    states = {unseal(sealed[:cut]).state for cut in range(len(sealed) - 1)}
    assert "sealed" not in states


def test_an_edit_after_sealing_is_a_mismatch_and_resealing_replaces_the_seal() -> None:
    sealed = seal(b"tags:\n  - name: orderer:plan\n")
    edited = sealed.replace(b"orderer:plan", b"orderer:topup")
    assert unseal(edited).state == "mismatch"
    resealed = seal(edited)
    assert unseal(resealed).state == "sealed" and resealed.count(SEAL_PREFIX) == 1


def test_content_after_the_seal_line_unseals_it() -> None:
    """An in-place overwrite that leaves an old seal in the middle of the file."""
    sealed = seal(b"tags:\n  - name: orderer:plan\n")
    assert unseal(sealed + b"  - name: orderer:topup\n").state == "missing"


def test_a_body_without_final_newline_is_sealed_on_a_line_of_its_own() -> None:
    sealed = seal(b"tags: []")
    assert sealed.startswith(b"tags: []\n" + SEAL_PREFIX) and unseal(sealed).state == "sealed"
