"""What a referral program saves its sponsor (issue 21): the acquisition cost the sponsor states on chain,
against what each conversion through the program cost it in rewards, at any height."""

from __future__ import annotations

from ledger.protocol.commitments import make_commitment
from tests.api.conftest import OwnChain
from tests.ledger.chain_fixtures import Deployment

UNIT = 10**18
YEAR = 365 * 24 * 3600


def test_a_programs_saving_against_the_cost_its_sponsor_states(own_chain: OwnChain) -> None:
    deployment = own_chain.deployment
    accounts, token = deployment.accounts, deployment.contracts["MockERC20"]
    referrals = deployment.contracts["ReferralRewards"]
    deployment.transact("MockERC20", "mint", accounts[0], 100 * UNIT)
    deployment.transact("MockERC20", "approve", referrals.address, 100 * UNIT)
    now = deployment.w3.eth.get_block("latest")["timestamp"]
    # a reward of 2 tokens plus 10 % of the sale, at most 6 tokens
    deployment.transact(
        "ReferralRewards",
        "createProgram",
        (token.address, 2 * UNIT, 1_000, 6 * UNIT, 0, now + YEAR),
        50 * UNIT,
    )
    sales = (10 * UNIT, 30 * UNIT)  # rewards 3 and 5 tokens
    for number, sale in enumerate(sales):
        commitment = make_commitment(f"lead-{number}", accounts[4], bytes(32))
        deployment.transact("ReferralRewards", "recordReferral", 1, commitment, sender=4)
        deployment.transact("ReferralRewards", "confirmConversion", 1, accounts[4], commitment, sale)
        deployment.transact("ReferralRewards", "claimReward", 1, commitment, sender=4)
    unstated = own_chain.get(_exactly("/v1/metrics/referrals", deployment))
    assert (unstated["programs"][0]["acquisition_cost"], unstated["programs"][0]["saving"]) == (None, None)
    assert unstated["acquisition_saving"] == {}
    before = deployment.w3.eth.block_number

    deployment.transact("ReferralRewards", "setAcquisitionCost", 1, 9 * UNIT)  # its usual cost of a customer
    body = own_chain.get(_exactly("/v1/metrics/referrals", deployment))
    program = body["programs"][0]
    assert program["acquisition_cost"] == str(9 * UNIT)
    assert int(program["rewards_paid"][token.address]) == 8 * UNIT
    assert program["saving"] == str(2 * 9 * UNIT - 8 * UNIT), "two customers for 8 tokens instead of 18"
    assert program["saving_per_conversion"] == 9 * UNIT - 4 * UNIT
    assert body["acquisition_saving"] == {token.address: str(10 * UNIT)}

    deployment.transact("ReferralRewards", "setAcquisitionCost", 1, 3 * UNIT)  # the newest counts
    cheaper = own_chain.get(_exactly("/v1/metrics/referrals", deployment))["programs"][0]
    assert cheaper["saving"] == str(2 * 3 * UNIT - 8 * UNIT), "it cost more than the sponsor's usual way"
    earlier = own_chain.get(f"/v1/metrics/referrals?as_of_block={before}")["programs"][0]
    assert earlier["acquisition_cost"] is None, "not stated yet at that height"


def _exactly(path: str, deployment: Deployment) -> str:
    """``path`` at the chain's head exactly (a request at the head may get the newest complete answer, a
    block behind, while the head's figures are computed)."""
    return f"{path}?as_of_block={deployment.w3.eth.block_number}"
