"""PartnerRatings: parties rate each other per agreement version; every rule, directly and by signature."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from brownie import web3

from conftest import (
    SIGNER_KEYS,
    TERMS,
    YEAR,
    deployment_of,
    now,
    reverts_with,
)
from ledger.protocol.eip712 import partner_rating, sign_typed_data

COMMENT = b"\x42" * 32
NO_COMMENT = b"\x00" * 32


def _rated(tx: Any) -> dict[str, Any]:
    [event] = tx.events["PartnerRated"]
    return dict(event)


def test_a_party_rates_a_partner_and_the_event_carries_it(
    ratings: Any, rated_id: int, members: list[Any]
) -> None:
    tx = ratings.rate(rated_id, 1, members[1], 4, COMMENT, {"from": members[0]})
    assert _rated(tx) == {
        "agreementId": rated_id,
        "rater": members[0],
        "ratee": members[1],
        "version": 1,
        "score": 4,
        "commentHash": "0x" + COMMENT.hex(),
    }


def test_a_rating_costs_under_50_000_gas(ratings: Any, rated_id: int, members: list[Any]) -> None:
    """#21's budget; the gas benchmark prints the figure against its baseline."""
    tx = ratings.rate(rated_id, 1, members[1], 4, COMMENT, {"from": members[0]})
    assert tx.gas_used <= 50_000


@pytest.mark.parametrize("score", [1, 2, 3, 4, 5])
def test_every_score_from_1_to_5_is_accepted(
    ratings: Any, rated_id: int, members: list[Any], score: int
) -> None:
    assert (
        _rated(ratings.rate(rated_id, 1, members[2], score, NO_COMMENT, {"from": members[1]}))["score"]
        == score
    )


@pytest.mark.parametrize("score", [0, 6, 255])
def test_a_score_outside_1_to_5_reverts(ratings: Any, rated_id: int, members: list[Any], score: int) -> None:
    with reverts_with("RatingInvalidScore", score):
        ratings.rate(rated_id, 1, members[1], score, NO_COMMENT, {"from": members[0]})


def test_a_party_cannot_rate_itself(ratings: Any, rated_id: int, members: list[Any]) -> None:
    with reverts_with("RatingSelfRating", members[0]):
        ratings.rate(rated_id, 1, members[0], 5, NO_COMMENT, {"from": members[0]})


def test_a_member_that_is_not_a_party_cannot_rate(ratings: Any, rated_id: int, members: list[Any]) -> None:
    with reverts_with("RatingNotParty", rated_id, members[5]):
        ratings.rate(rated_id, 1, members[1], 1, NO_COMMENT, {"from": members[5]})


def test_a_party_cannot_rate_a_member_that_is_not_a_party(
    ratings: Any, rated_id: int, members: list[Any]
) -> None:
    with reverts_with("RatingNotParty", rated_id, members[5]):
        ratings.rate(rated_id, 1, members[5], 1, NO_COMMENT, {"from": members[0]})


def test_an_unknown_agreement_has_no_parties(ratings: Any, rated_id: int, members: list[Any]) -> None:
    with reverts_with("RatingNotParty", rated_id + 1, members[0]):
        ratings.rate(rated_id + 1, 1, members[1], 3, NO_COMMENT, {"from": members[0]})


def test_an_account_that_is_not_a_member_cannot_rate(
    ratings: Any, rated_id: int, outsider: Any, members: list[Any]
) -> None:
    with reverts_with("RatingNotActiveMember", outsider):
        ratings.rate(rated_id, 1, members[0], 3, NO_COMMENT, {"from": outsider})


def test_a_member_who_left_can_no_longer_rate_but_can_be_rated(
    ratings: Any, coop: Any, rated_id: int, members: list[Any]
) -> None:
    ratings.rate(rated_id, 1, members[0], 5, NO_COMMENT, {"from": members[2]})
    coop.exit({"from": members[2]})
    with reverts_with("RatingNotActiveMember", members[2]):
        ratings.rate(rated_id, 1, members[0], 2, NO_COMMENT, {"from": members[2]})
    assert (
        _rated(ratings.rate(rated_id, 1, members[2], 2, NO_COMMENT, {"from": members[0]}))["ratee"]
        == members[2]
    )


def test_a_proposal_no_party_has_fully_signed_cannot_be_rated(
    ratings: Any, propose: Callable[..., int], members: list[Any], chain: Any
) -> None:
    proposed = propose()
    chain.sleep(ratings.MIN_TIME_IN_FORCE() + 1)
    chain.mine()
    with reverts_with("RatingVersionNotInForce", proposed, 1):
        ratings.rate(proposed, 1, members[1], 3, NO_COMMENT, {"from": members[0]})


@pytest.mark.parametrize("version", [0, 2])
def test_a_version_that_does_not_exist_cannot_be_rated(
    ratings: Any, rated_id: int, members: list[Any], version: int
) -> None:
    with reverts_with("RatingVersionNotInForce", rated_id, version):
        ratings.rate(rated_id, version, members[1], 3, NO_COMMENT, {"from": members[0]})


def test_only_amendments_that_took_effect_can_be_rated(
    ratings: Any, agreements: Any, rated_id: int, members: list[Any]
) -> None:
    """Version 2 is replaced by version 3 before every party signed it; version 3 takes effect."""
    end = now() + 2 * YEAR
    agreements.proposeAmendment(
        rated_id, TERMS, "ipfs://v2", [4_000, 4_000, 2_000], end, {"from": members[0]}
    )
    with reverts_with("RatingVersionNotInForce", rated_id, 2):
        ratings.rate(rated_id, 2, members[1], 3, NO_COMMENT, {"from": members[0]})
    agreements.proposeAmendment(
        rated_id, TERMS, "ipfs://v3", [3_400, 3_300, 3_300], end, {"from": members[1]}
    )
    for party in (members[0], members[2]):
        agreements.sign(rated_id, 3, {"from": party})
    assert agreements.agreement(rated_id)["currentVersion"] == 3
    with reverts_with("RatingVersionNotInForce", rated_id, 2):
        ratings.rate(rated_id, 2, members[1], 3, NO_COMMENT, {"from": members[0]})
    assert _rated(ratings.rate(rated_id, 3, members[1], 3, NO_COMMENT, {"from": members[0]}))["version"] == 3
    assert _rated(ratings.rate(rated_id, 1, members[1], 4, NO_COMMENT, {"from": members[0]}))["version"] == 1


def test_rating_opens_once_the_agreement_has_been_in_force_long_enough(
    ratings: Any, agreements: Any, active_id: int, members: list[Any], chain: Any
) -> None:
    opens_at = agreements.agreement(active_id)["startTime"] + ratings.MIN_TIME_IN_FORCE()
    assert ratings.ratingOpensAt(agreements.agreement(active_id)["startTime"]) == opens_at
    with reverts_with("RatingTooEarly", active_id, opens_at):
        ratings.rate(active_id, 1, members[1], 3, NO_COMMENT, {"from": members[0]})
    chain.sleep(opens_at - now() - 60)  # ganache cannot set the next block's time to the second
    with reverts_with("RatingTooEarly", active_id, opens_at):
        ratings.rate(active_id, 1, members[1], 3, NO_COMMENT, {"from": members[0]})
    chain.sleep(opens_at - now())
    tx = ratings.rate(active_id, 1, members[1], 3, NO_COMMENT, {"from": members[0]})
    assert web3.eth.get_block(tx.block_number)["timestamp"] >= opens_at


def test_rating_stays_open_after_the_agreement_ends(
    ratings: Any, agreements: Any, rated_id: int, members: list[Any], chain: Any
) -> None:
    for party in members[:3]:
        agreements.consentToTerminate(rated_id, {"from": party})
    chain.sleep(2 * YEAR)
    chain.mine()
    assert _rated(ratings.rate(rated_id, 1, members[0], 2, NO_COMMENT, {"from": members[1]}))["score"] == 2


def test_a_rater_may_rate_again_and_each_rating_is_kept_in_the_history(
    ratings: Any, rated_id: int, members: list[Any]
) -> None:
    first = ratings.rate(rated_id, 1, members[1], 2, NO_COMMENT, {"from": members[0]})
    second = ratings.rate(rated_id, 1, members[1], 5, COMMENT, {"from": members[0]})
    history = ratings.events.get_sequence(first.block_number, second.block_number, "PartnerRated")
    assert [(event.args.score, bytes(event.args.commentHash)) for event in history] == [
        (2, NO_COMMENT),
        (5, COMMENT),
    ]


# ------------------------------------------------------------------------------------ by signature


def _signed(ratings: Any, rater: Any, agreement_id: int, ratee: Any, **changes: Any) -> tuple[Any, ...]:
    fields = {
        "version": 1,
        "score": 4,
        "comment": COMMENT,
        "nonce": ratings.nonces(rater),
        "deadline": now() + 3_600,
        **changes,
    }
    return (
        str(rater),
        agreement_id,
        fields["version"],
        str(ratee),
        fields["score"],
        fields["comment"],
        fields["nonce"],
        fields["deadline"],
    )


def _typed(ratings: Any, rating: tuple[Any, ...]) -> dict[str, Any]:
    """The EIP-712 message of ``rating`` (the tuple ``rateWithSignature`` takes), built off chain."""
    return partner_rating(web3.eth.chain_id, deployment_of(ratings), *rating)


def _sign(key: str, ratings: Any, rating: tuple[Any, ...]) -> bytes:
    return sign_typed_data(key, _typed(ratings, rating))


@pytest.fixture
def signed_id(
    propose: Callable[..., int], activate: Callable[[int], None], signers: list[Any], chain: Any, ratings: Any
) -> int:
    """An active agreement between the three members whose keys the tests hold, open for rating."""
    agreement_id = propose(parties=signers, shares=[4_000, 3_000, 3_000])
    activate(agreement_id)
    chain.sleep(ratings.MIN_TIME_IN_FORCE() + 1)
    chain.mine()
    return agreement_id


def test_anybody_submits_a_rating_the_rater_signed(
    ratings: Any, signed_id: int, signers: list[Any], outsider: Any
) -> None:
    rating = _signed(ratings, signers[0], signed_id, signers[1], score=2)
    tx = ratings.rateWithSignature(rating, _sign(SIGNER_KEYS[0], ratings, rating), {"from": outsider})
    assert _rated(tx) == {
        "agreementId": signed_id,
        "rater": signers[0],
        "ratee": signers[1],
        "version": 1,
        "score": 2,
        "commentHash": "0x" + COMMENT.hex(),
    }
    assert ratings.nonces(signers[0]) == 1


def test_the_signed_digest_is_the_contracts(ratings: Any, signed_id: int, signers: list[Any]) -> None:
    """The typed data built off chain hashes to the digest the contract verifies."""
    from eth_account.messages import encode_typed_data
    from eth_utils.crypto import keccak

    rating = _signed(ratings, signers[0], signed_id, signers[1])
    typed = _typed(ratings, rating)
    signable = encode_typed_data(
        domain_data=typed["domain"], message_types=typed["types"], message_data=typed["message"]
    )
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert bytes(ratings.ratingDigest(rating)) == digest


def test_a_signed_rating_cannot_be_replayed(
    ratings: Any, signed_id: int, signers: list[Any], outsider: Any
) -> None:
    rating = _signed(ratings, signers[0], signed_id, signers[1], score=1)
    signature = _sign(SIGNER_KEYS[0], ratings, rating)
    ratings.rateWithSignature(rating, signature, {"from": outsider})
    ratings.rate(signed_id, 1, signers[1], 5, NO_COMMENT, {"from": signers[0]})  # the rater changes its mind
    with reverts_with("InvalidAccountNonce", signers[0], 1):
        ratings.rateWithSignature(rating, signature, {"from": outsider})


def test_a_signature_by_anybody_but_the_rater_reverts(
    ratings: Any, signed_id: int, signers: list[Any], outsider: Any
) -> None:
    rating = _signed(ratings, signers[0], signed_id, signers[1])
    with reverts_with("RatingWrongSigner", signers[0], signers[2]):
        ratings.rateWithSignature(rating, _sign(SIGNER_KEYS[2], ratings, rating), {"from": outsider})


def test_a_changed_rating_no_longer_matches_its_signature(
    ratings: Any, signed_id: int, signers: list[Any], outsider: Any
) -> None:
    rating = _signed(ratings, signers[0], signed_id, signers[1], score=5)
    signature = _sign(SIGNER_KEYS[0], ratings, rating)
    tampered = (*rating[:4], 1, *rating[5:])
    with pytest.raises(Exception, match="RatingWrongSigner"):
        ratings.rateWithSignature(tampered, signature, {"from": outsider})


def test_a_signed_rating_past_its_deadline_reverts(
    ratings: Any, signed_id: int, signers: list[Any], outsider: Any, chain: Any
) -> None:
    deadline = now() + 60
    rating = _signed(ratings, signers[0], signed_id, signers[1], deadline=deadline)
    signature = _sign(SIGNER_KEYS[0], ratings, rating)
    chain.sleep(deadline - now() + 2)
    with reverts_with("RatingSignatureExpired", deadline):
        ratings.rateWithSignature(rating, signature, {"from": outsider})


def test_a_nonce_ahead_of_the_raters_reverts(
    ratings: Any, signed_id: int, signers: list[Any], outsider: Any
) -> None:
    rating = _signed(ratings, signers[0], signed_id, signers[1], nonce=1)
    with reverts_with("InvalidAccountNonce", signers[0], 0):
        ratings.rateWithSignature(rating, _sign(SIGNER_KEYS[0], ratings, rating), {"from": outsider})


def test_the_rules_hold_for_signed_ratings_when_submitted(
    ratings: Any, coop: Any, signed_id: int, signers: list[Any], outsider: Any
) -> None:
    """A rating signed while the rater was a member does not count once it has left."""
    rating = _signed(ratings, signers[0], signed_id, signers[1])
    signature = _sign(SIGNER_KEYS[0], ratings, rating)
    coop.exit({"from": signers[0]})
    with reverts_with("RatingNotActiveMember", signers[0]):
        ratings.rateWithSignature(rating, signature, {"from": outsider})
    self_rating = _signed(ratings, signers[1], signed_id, signers[1])
    with reverts_with("RatingSelfRating", signers[1]):
        ratings.rateWithSignature(
            self_rating, _sign(SIGNER_KEYS[1], ratings, self_rating), {"from": outsider}
        )


def test_ratings_are_bound_to_their_contract(
    PartnerRatings: Any,
    coop: Any,
    agreements: Any,
    ratings: Any,
    signed_id: int,
    signers: list[Any],
    accounts: Any,
) -> None:
    """A signature for one PartnerRatings contract is refused by another (the EIP-712 domain)."""
    other = PartnerRatings.deploy(coop, agreements, {"from": accounts[0]})
    rating = _signed(ratings, signers[0], signed_id, signers[1])
    signature = _sign(SIGNER_KEYS[0], ratings, rating)
    with pytest.raises(Exception, match="RatingWrongSigner"):
        other.rateWithSignature(rating, signature, {"from": accounts[0]})
