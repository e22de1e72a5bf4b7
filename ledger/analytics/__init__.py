"""Analytics: the networkx graph built from stored events, views as of a block, the metrics, and the audit.

Metrics are pure functions of a graph; the graph is a function of the stored events.
"""
