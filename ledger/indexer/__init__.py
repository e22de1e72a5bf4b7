"""The indexer: reads the chain over JSON-RPC, decodes logs, prepares rows, and drives backfill and follow.

It writes through the :class:`~ledger.indexer.sync.EventSink` protocol (the store is one) and never imports
the store: data flows one way, contract facts ← indexer ← store ← analytics.
"""
