"""coopledger's read-only HTTP service over the event store and the network metrics."""
