"""coopledger's runtime: chain access, the event indexer and store, the network graph and its metrics.

It depends on web3, never on Brownie: Brownie builds, deploys and tests the contracts; this package reads
what the deploy step wrote (the deployment manifest) and the chain itself.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("coopledger")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
