"""The Sedā server: intake, tracking, review console, boxes, summaries, administration."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seda")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
