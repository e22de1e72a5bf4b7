"""Value sharing, inequality and referral figures against hand-computed values."""

from __future__ import annotations

import networkx as nx
import pytest

from ledger.analytics.metrics.referrals import referral_stats
from ledger.analytics.metrics.value import FreeRider, free_riders, gini, hhi, member_values

TOKEN, OTHER = "0xToken", "0xOther"


def _values() -> nx.DiGraph[str]:
    values: nx.DiGraph[str] = nx.DiGraph()
    values.add_nodes_from(["a", "b", "c"], member=True)
    values.add_node("customer", member=False)
    values.add_edge("customer", "a", amount=100)
    values.add_edge("b", "a", amount=50)
    values.add_edge("a", "b", amount=10)
    return values


def test_member_values_separate_partner_revenue_from_contributions() -> None:
    flows = member_values(_values(), ["a", "b", "c"])
    assert (flows["a"].received, flows["a"].received_from_members, flows["a"].contributed) == (150, 50, 10)
    assert flows["a"].net == 140
    assert (flows["b"].received, flows["b"].contributed, flows["b"].net) == (10, 50, -40)
    assert (flows["c"].received, flows["c"].contributed) == (0, 0)


def test_free_riders_receive_from_partners_more_than_ratio_times_what_they_give() -> None:
    flows = member_values(_values(), ["a", "b", "c"])
    assert free_riders(flows.values(), ratio=3.0) == [FreeRider("a", 50, 10, 5.0)]
    assert free_riders(flows.values(), ratio=5.0) == [], "exactly the ratio is not above it"


def test_gini_is_the_population_mean_difference_convention() -> None:
    # ordered pairs |x_i - x_j| over (0, 0, 10, 30) sum to 200; 200 / (2 * 4² * 10) = 0.625
    assert gini([0, 30, 10, 0]) == pytest.approx(0.625)
    assert gini([5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 9]) == pytest.approx(1 - 1 / 4)
    assert gini([]) == gini([0, 0]) == 0.0


def test_hhi_is_the_sum_of_squared_shares_on_a_zero_to_one_scale() -> None:
    assert hhi([1, 1, 2]) == pytest.approx(6 / 16)
    assert hhi([7]) == 1.0
    assert hhi([1] * 4) == pytest.approx(0.25)
    assert hhi([0, 0]) == 0.0


def test_referral_figures_per_referrer_and_program() -> None:
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    graph.add_edge("r1", "s", key="referral:1:x", kind="referral", program_id=1, asset=TOKEN, amount=0)
    graph.add_edge("r1", "s", key="referral:1:y", kind="referral", program_id=1, asset=TOKEN, amount=0)
    graph.add_edge("r1", "s", key="conversion:1:x", kind="conversion", program_id=1, asset=TOKEN, amount=1000)
    graph.add_edge("s", "r1", key="reward:1:x", kind="reward", program_id=1, asset=TOKEN, amount=10)
    graph.add_edge("r2", "s", key="referral:2:z", kind="referral", program_id=2, asset=OTHER, amount=0)
    graph.add_edge("r2", "s", key="value:t:1", kind="value", asset=OTHER, amount=99)
    summary = referral_stats(graph)
    total = summary.total
    assert (total.referrals, total.conversions) == (3, 1)
    assert total.conversion_rate == pytest.approx(1 / 3)
    assert total.rewards_paid == {TOKEN: 10}
    assert total.conversion_value == {TOKEN: 1000}
    assert total.cost_per_conversion == {TOKEN: 10.0}
    assert summary.per_referrer["r1"].conversion_rate == 0.5
    assert summary.per_referrer["r2"].conversion_rate == 0.0
    assert summary.per_referrer["r2"].cost_per_conversion == {}
    assert summary.per_program[2].referrals == 1
    assert list(summary.per_program) == [1, 2]
