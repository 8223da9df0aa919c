"""Input stage: read a chain's data folder into one validated ChainData, or stop with an InputError."""

from planner.inputs.chain import (
    ChainData,
    chain_before,
    load_chain,
)

__all__ = ["ChainData", "chain_before", "load_chain"]
