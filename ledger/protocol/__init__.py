"""Contract facts: what every room knows about the deployed contracts, and nothing else.

The deployment manifest (addresses, deployment blocks, ABIs, enums, custom errors and events with their
NatSpec, struct fields, EIP-712 types — all read from the compiler's output at deployment), the rules the
contracts apply that readers must mirror exactly (the revenue split), the table of events and what folds
them, sector and region codes, referral commitments and address parsing.

This room imports nothing else of coopledger but :mod:`ledger.exceptions` and :mod:`ledger.types`.
"""
