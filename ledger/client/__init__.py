"""The member's side: wallet (keystore), transactions (simulate, send, explain a revert), the CLI's commands.

It uses contract facts (:mod:`ledger.protocol`) only: a member needs a chain and a manifest, not a store.
"""
