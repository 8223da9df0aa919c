"""Customers stage: pseudonymised loyalty-card lines -> segments and per-store customer figures."""

from planner.customers.build import Customers, build_customers, chain_customers

__all__ = ["Customers", "build_customers", "chain_customers"]
