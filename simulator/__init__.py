"""A local Parakey cloud for tests, demos and benchmarks.

It serves the API as ``parakey-api.md`` describes it (ETags, 304, paging,
filters), a control API under ``/_sim/`` for scripts, injectable faults, and
webhook delivery with Parakey's retry schedule.
"""

from .app import FAULT_KINDS, ParakeySimulator
from .server import SimulatorServer

__all__ = ["FAULT_KINDS", "ParakeySimulator", "SimulatorServer"]
