"""How ``Agreements`` shares revenue between the parties: the rule every reader must mirror exactly.

Within a *share period* (the time one version's shares are in force) the contract keeps one figure, what the
period credited so far, ``credited``; a party's credit from the period is ``credited * share // 10 000``,
rounded down once on the running total, not once per deposit. So no party's credit drifts from its exact
pro-rata share by a whole smallest unit, however many deposits are made (audit finding 5); what rounding
leaves over, the period's *dust*, is fewer smallest units than there are parties and is assigned to nobody
yet. When new shares take effect the old period is settled into each party's balance and its dust is carried
into the new period's ``credited``, where the new shares share it (:func:`reshare`).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["BPS", "credit_increments", "dust", "reshare", "share_of"]

#: Basis points in a whole: shares sum to this.
BPS = 10_000


def share_of(credited: int, share_bps: int) -> int:
    """A party's credit from a share period that credited ``credited``, with a share of ``share_bps``.

    >>> share_of(10_007, 6_000)
    6004
    """
    return credited * share_bps // BPS


def credit_increments(credited: int, amount: int, shares: Mapping[str, int]) -> dict[str, int]:
    """What each party is credited when ``amount`` is credited in a period that had credited ``credited``.

    The increments sum to ``amount`` give or take the dust, which stays within the period (:func:`dust`).

    Example
    -------
    >>> credit_increments(0, 99, {"a": 5_000, "b": 5_000})
    {'a': 49, 'b': 49}
    >>> credit_increments(99, 99, {"a": 5_000, "b": 5_000})
    {'a': 50, 'b': 50}
    """
    after = credited + amount
    return {party: share_of(after, share) - share_of(credited, share) for party, share in shares.items()}


def dust(credited: int, shares: Mapping[str, int]) -> int:
    """What a period that credited ``credited`` assigned to nobody yet: fewer units than there are parties.

    >>> dust(99, {"a": 5_000, "b": 5_000})
    1
    """
    return credited - sum(share_of(credited, share) for share in shares.values())


def reshare(credited: int, old: Mapping[str, int], new: Mapping[str, int]) -> tuple[dict[str, int], int]:
    """New shares take effect: the period that credited ``credited`` under ``old`` is settled, and its dust
    carried into a new period under ``new``. Returns what each party gains at once (its new share of the
    dust, rounded down) and the new period's opening ``credited`` (the dust).

    >>> old = {"a": 2_500, "b": 2_500, "c": 2_500, "d": 2_500}
    >>> reshare(7, old, {"a": 7_000, "b": 1_000, "c": 1_000, "d": 1_000})
    ({'a': 2, 'b': 0, 'c': 0, 'd': 0}, 3)
    """
    carried = dust(credited, old)
    return {party: share_of(carried, share) for party, share in new.items()}, carried
