"""Profile stage: a local demand profile for every store and product of the chain."""

from planner.profiles.build import (
    MIN_OWN_WEEKS,
    Profiles,
    build_profiles,
)

__all__ = ["MIN_OWN_WEEKS", "Profiles", "build_profiles"]
