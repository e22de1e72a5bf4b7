"""Network and value-sharing metrics: pure functions of the consortium's graph at one block height.

Each module covers one topic; each function's docstring is the metric's definition. The functions take
networkx graphs (the views of :mod:`ledger.analytics.metrics.views`), so a test can build a small graph by
hand and compare. :mod:`ledger.analytics.metrics.report` computes them for a height, and its
:class:`~ledger.analytics.metrics.report.MetricsCache` keeps the results.
"""
