"""How ``Agreements`` shares a deposit between the parties: the rule every reader must mirror exactly."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["BPS", "split_credit"]

#: Basis points in a whole: shares sum to this.
BPS = 10_000


def split_credit(amount: int, shares: Mapping[str, int], lead: str) -> dict[str, int]:
    """Each party's credit for ``amount``: ``amount // 10 000 * share``, plus the remainder to ``lead``.

    ``shares`` maps each party to its share in basis points (summing to 10 000), so the credits sum to
    ``amount`` exactly. This is the rule ``Agreements`` applies on chain: the lead party (the proposer)
    receives the remainder, fewer than 10 000 of the asset's smallest units.

    Example
    -------
    >>> split_credit(10_007, {"a": 6_000, "b": 4_000}, lead="a")
    {'a': 6007, 'b': 4000}
    """
    per_bps, remainder = divmod(amount, BPS)
    credits = {party: per_bps * share for party, share in shares.items()}
    credits[lead] = credits.get(lead, 0) + remainder
    return credits
