"""The contracts' events and what coopledger does with each: one table for every fold.

Everything built from the stored events — the store's projections (:mod:`ledger.store.projections`) and the
network graph (:mod:`ledger.analytics.graph`) — is an :class:`EventFold`: it applies events in chain order
and dispatches each through :data:`HANDLERS` to its method of the same name (``on_member_admitted``...). A
fold
that does not need an event simply has no such method. Every event of the contracts' ABIs is either handled
here or listed in :data:`IGNORED` with the reason (a test checks both ways), so a new event cannot be
forgotten silently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from ledger.types import LedgerEvent

__all__ = ["FOLDED_EVENTS", "HANDLERS", "IGNORED", "EventFold"]

log = logging.getLogger("coopledger.fold")

#: The method of an :class:`EventFold` that applies each (contract, event).
HANDLERS: dict[tuple[str, str], str] = {
    ("Consortium", "MemberAdmitted"): "on_member_admitted",
    ("Consortium", "MemberSuspended"): "on_member_suspended",
    ("Consortium", "MemberReinstated"): "on_member_reinstated",
    ("Consortium", "MemberExited"): "on_member_exited",
    ("Consortium", "AssetApproved"): "on_asset_approved",
    ("Consortium", "AssetRevoked"): "on_asset_revoked",
    ("Agreements", "AgreementProposed"): "on_agreement_proposed",
    ("Agreements", "VersionProposed"): "on_version_proposed",
    ("Agreements", "AgreementSigned"): "on_agreement_signed",
    ("Agreements", "AgreementVersionActivated"): "on_agreement_version_activated",
    ("Agreements", "DisputeRaised"): "on_dispute_raised",
    ("Agreements", "DisputeResolved"): "on_dispute_resolved",
    ("Agreements", "DisputeReleased"): "on_dispute_released",
    ("Agreements", "AgreementTerminated"): "on_agreement_terminated",
    ("Agreements", "RevenueDeposited"): "on_revenue_deposited",
    ("Agreements", "Withdrawn"): "on_withdrawn",
    ("ReferralRewards", "ProgramCreated"): "on_program_created",
    ("ReferralRewards", "ProgramFunded"): "on_program_funded",
    ("ReferralRewards", "BudgetReclaimed"): "on_budget_reclaimed",
    ("ReferralRewards", "ProgramClosed"): "on_program_closed",
    ("ReferralRewards", "ReferralRecorded"): "on_referral_recorded",
    ("ReferralRewards", "ConversionConfirmed"): "on_conversion_confirmed",
    ("ReferralRewards", "RewardClaimed"): "on_reward_claimed",
    ("ReferralRewards", "VoucherRedeemed"): "on_voucher_redeemed",
    ("PartnerRatings", "PartnerRated"): "on_partner_rated",
}

#: Events stored (they are in the history and the audit digest) but folded into nothing, and why.
IGNORED: dict[tuple[str, str], str] = {
    ("Consortium", "ProposalCreated"): "a vote's progress; its outcome comes as MemberAdmitted/Suspended/...",
    (
        "Consortium",
        "ProposalApproved",
    ): "a vote's progress; its outcome comes as MemberAdmitted/Suspended/...",
    (
        "Consortium",
        "ProposalExecuted",
    ): "the outcome itself comes as MemberAdmitted/Suspended/Reinstated or AssetApproved/Revoked",
    ("Agreements", "DisputeResolutionVoted"): "a vote's progress; its outcome comes as DisputeResolved",
    ("Agreements", "TerminationConsented"): "a vote's progress; its outcome comes as AgreementTerminated",
    ("Agreements", "EIP712DomainChanged"): "EIP-5267 signal; the domain is fixed at deployment",
    (
        "ReferralRewards",
        "AcquisitionCostSet",
    ): "a sponsor's stated baseline: the referral metrics read the newest at a height from the events",
    ("ReferralRewards", "EIP712DomainChanged"): "EIP-5267 signal; the domain is fixed at deployment",
    (
        "ReferralRewards",
        "VouchersRevoked",
    ): "a program's voucher nonce moved; no referral, budget or reward changes",
    ("PartnerRatings", "EIP712DomainChanged"): "EIP-5267 signal; the domain is fixed at deployment",
}

#: The (contract, event) pairs some fold applies; the indexer hands only these to the folds.
FOLDED_EVENTS = frozenset(HANDLERS)


class EventFold:
    """Something built by applying stored events in chain order (see the module's docstring).

    ``kinds`` are ``Agreements.Kind``'s members in their one spelling, in order
    (:meth:`ledger.protocol.manifest.ContractDeployment.enum_labels`): the event gives a kind as a number.

    An event about an agreement, program or referral the fold has never seen cannot happen on a chain the
    contracts wrote (they refuse such calls); if a store holds one anyway (say, a manifest whose start block
    is too late), the handler's ``KeyError`` is logged as a warning, kept in :attr:`anomalies`, and folding
    goes on.
    """

    def __init__(self, kinds: Sequence[str]) -> None:
        self.kinds = tuple(kinds)
        self.anomalies: list[tuple[LedgerEvent, str]] = []

    def kind_label(self, value: int) -> str:
        """The label of ``Agreements.Kind`` member ``value`` (``kinds``: the deployment's, in order).

        Raises
        ------
        KeyError
            If the deployment has no such kind (so :meth:`apply` reports the event as an anomaly).
        """
        if not 0 <= value < len(self.kinds):
            raise KeyError(f"Agreements.Kind {value}")
        return self.kinds[value]

    @classmethod
    def events_read(cls) -> frozenset[tuple[str, str]]:
        """The (contract, event) pairs this fold has a handler for: any other event changes nothing in it."""
        return frozenset(pair for pair, name in HANDLERS.items() if callable(getattr(cls, name, None)))

    def apply(self, item: LedgerEvent) -> None:
        """Apply one event; events this fold has no handler for change nothing."""
        name = HANDLERS.get((item.contract, item.event))
        handler: Callable[[LedgerEvent], None] | None = getattr(self, name, None) if name else None
        if handler is None:
            return
        try:
            handler(item)
        except KeyError as missing:
            reason = f"{item.contract}.{item.event} refers to {missing} which no earlier event created"
            self.anomalies.append((item, reason))
            log.warning(
                "%s skipped tx=%s log=%d: %s", type(self).__name__, item.tx_hash, item.log_index, reason
            )

    def apply_all(self, events: Iterable[LedgerEvent]) -> None:
        """Apply ``events`` in the order given (chain order)."""
        for item in events:
            self.apply(item)
