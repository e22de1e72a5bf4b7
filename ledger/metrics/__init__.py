"""Network and value-sharing metrics: pure functions of the consortium's graph at one block height.

Each module covers one topic; each function's docstring is the metric's definition. The functions take
networkx graphs (the views of :mod:`ledger.metrics.views`), so a test can build a small graph by hand and
compare. :class:`ledger.metrics.report.MetricsReport` computes them for a height and caches the result.
"""
