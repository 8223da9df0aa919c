"""PlanConfig: every tunable number of a planning run, with defaults, units and TOML loading.

`planning.toml` has one table per section below; a key that is not declared here is an error,
so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from pydantic import TypeAdapter, ValidationError

from planner.errors import ConfigError, shown

DATABASE_URL_VARIABLE = "PLANNER_DATABASE_URL"  # the CLI and the app pass it on (PlanConfig.with_environment)
CLUSTER_ADDRESS = re.compile(r"(tcp|tls|ucx|inproc)://[^\s]+")  # a Dask scheduler address: [solver] cluster, --cluster
from planner.schemas import STORE_ID


@dataclass(frozen=True)
class Range:
    """The plausible values of a numeric setting: low <= value <= high (low < value when `above`)."""

    low: float
    high: float
    above: bool = False

    def holds(self, value: float) -> bool:
        return math.isfinite(value) and (value > self.low if self.above else value >= self.low) and value <= self.high

    def __str__(self) -> str:
        return f"a finite number {'above' if self.above else 'from'} {self.low:g} {'and at most' if self.above else 'to'} {self.high:g}"


def setting(default: Any, low: float, high: float, *, above: bool = False) -> Any:
    """A numeric setting with its default and its plausible range, checked where the config is read."""
    return field(default=default, metadata={"range": Range(low, high, above)})


@dataclass(frozen=True)
class SolverConfig:
    """Which MILP solver runs and how long it may take."""

    name: str = "highs"  # "highs" (default, in-process through highspy) or "cbc" (bundled with PuLP 3)
    time_limit_seconds: float = setting(120.0, 0, 86_400, above=True)
    mip_gap: float = setting(0.001, 0, 0.5)  # relative gap to the LP bound at which the solver may stop (0.001 = 0.1 %)
    workers: int = setting(0, 0, 1024)  # processes that solve stores side by side: 0 = one per core, 1 = one after another
    cluster: str = ""  # a Dask scheduler's address ("tcp://scheduler:8786") whose workers solve the stores; "" = this machine


@dataclass(frozen=True)
class AssortmentConfig:
    """Business rules of the assortment. Defaults never make a valid chain infeasible."""

    core_min_items: int = setting(0, 0, 1_000_000)  # fresh products that every store must carry, at least
    core_max_items: int | None = setting(None, 0, 1_000_000)  # at most; None = no limit
    min_items_per_category: int = setting(0, 0, 10_000)  # per store and category (capped at the category's size)
    max_addons_per_store: int | None = setting(None, 0, 1_000_000)  # None = no limit


@dataclass(frozen=True)
class DemandConfig:
    """How POS history becomes an expected weekly rate."""

    history_weeks: int = setting(26, 1, 520)  # weeks of history (before the planned week) used for the rate
    recency_half_life_weeks: float = setting(8.0, 0, 520, above=True)  # a week this old weighs half as much as the latest one
    new_listing_haircut: float = setting(0.8, 0, 1)  # share of the similar-store estimate trusted for a product not carried yet, when its uncertainty equals its size
    index_prior_units: float = setting(30.0, 0, 1_000_000)  # the store-vs-chain index is shrunk toward the chain as if this many units sold at chain rates
    horizon_weeks: int = setting(4, 1, 52)  # the rate is the mean forecast over this many weeks from the planned week on
    promo_price_cut: float = setting(0.15, 0, 0.95, above=True)  # without a promo column: a week priced this far below the weeks around it is a promotion


@dataclass(frozen=True)
class SubstitutionConfig:
    """Which products stand in for each other, and how much demand moves when one is dropped."""

    default_transfer_rate: float = setting(0.3, 0, 1)  # share of a dropped product's demand that moves to carried substitutes
    min_delisting_events: int = setting(5, 1, 1_000_000)  # delistings in the POS history needed to estimate the rate from data instead
    price_band: float = setting(0.35, 0, 10)  # without substitute_group: same subcategory (or category) and price within +-35 %
    max_substitutes: int = setting(3, 1, 100)  # a dropped product's customers choose among its this many best-selling substitutes
    max_absorb: float = setting(1.0, 0, 10)  # a substitute takes over at most this share of its own weekly units from dropped products


@dataclass(frozen=True)
class CustomersConfig:
    """What loyalty-card data changes in the plan (only where the tills give card ids)."""

    segment_estimates: bool = True  # a product a store does not carry: estimated from the store's customer segments where the cards suffice
    card_substitutes: bool = False  # a product 20+ cardholders buy: within its shelf group, substitutes are what its buyers treat as alternatives (Yule's Q); off until a backtest shows it pays
    walk_away: bool = True  # dropping a regular purchase of loyal cardholders who buy no alternative here costs part of their basket
    walk_away_share: float = setting(0.1, 0, 1)  # share of such a customer's weekly basket margin (the rest of it) the store expects to lose


@dataclass(frozen=True)
class CostsConfig:
    """What localizing costs: the plan pays these, so micromarketing has to earn them back."""

    listing_cost_per_product: float = setting(0.0, 0, 100_000)  # EUR / week per distinct product carried in any store (supplier, logistics, data)
    handling_cost_per_listing: float = setting(0.25, 0, 100_000)  # EUR / week per store and listed product (ordering, facings, price labels)


@dataclass(frozen=True)
class StabilityConfig:
    """How far one run may move the shelf away from today's assortment."""

    change_penalty: float = setting(1.0, 0, 100_000)  # EUR / week charged in the objective per add or drop (not money: a brake on churn)
    max_adds_per_store: int | None = setting(None, 0, 1_000_000)  # new listings per store and run; None = no limit
    max_drops_per_store: int | None = setting(None, 0, 1_000_000)  # delistings per store and run (overrides excluded); None = no limit
    min_listing_weeks: int = setting(8, 0, 520)  # a product first sold in a store fewer weeks ago stays listed there
    max_changes_per_store_per_week: int | None = setting(20, 1, 1_000_000)  # adds + drops a store carries out in one week on the way to the target; None = all at once


@dataclass(frozen=True)
class ReplenishmentConfig:
    """Delivery rhythm; drives inventory tied up and fresh waste."""

    fresh_delivery_days: float = setting(2.0, 0, 365, above=True)  # days between deliveries of fresh products
    ambient_delivery_days: float = setting(7.0, 0, 365, above=True)  # days between deliveries of ambient products
    safety_factor: float = setting(1.0, 0, 5)  # z: the usual cover, expected cycle demand + z sd; a perishable holds less where that pays (economics.py)


@dataclass(frozen=True)
class PosConfig:
    """Extra POS header names, for tills whose exports the planner does not recognise by itself."""

    columns: dict[str, str] = field(default_factory=dict)  # till header -> one of date, store_id, sku, units, revenue, promo
    engine: str = "duckdb"  # "duckdb" (fast) or "pandas" (plain, slower; same results)


@dataclass(frozen=True)
class DatabaseConfig:
    """Where accounts and store requests live."""

    url: str = ""  # "" = SQLite file planner.db in the data folder; or postgresql+psycopg://user@host/db
    # where url came from, for error messages; set by with_database_url, never read from planning.toml
    url_source: str = field(default="planning.toml: [database] url", metadata={"toml": False})


@dataclass(frozen=True)
class AppConfig:
    """What the app tells its users."""

    contact: str = "head office"  # whom to ask for an account, a locked account or a new password (a name, phone or e-mail)


@dataclass(frozen=True)
class PlanConfig:
    """The whole configuration of a planning run."""

    solver: SolverConfig = field(default_factory=SolverConfig)
    assortment: AssortmentConfig = field(default_factory=AssortmentConfig)
    demand: DemandConfig = field(default_factory=DemandConfig)
    replenishment: ReplenishmentConfig = field(default_factory=ReplenishmentConfig)
    substitution: SubstitutionConfig = field(default_factory=SubstitutionConfig)
    customers: CustomersConfig = field(default_factory=CustomersConfig)
    costs: CostsConfig = field(default_factory=CostsConfig)
    stability: StabilityConfig = field(default_factory=StabilityConfig)
    pos: PosConfig = field(default_factory=PosConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    app: AppConfig = field(default_factory=AppConfig)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Section -> key -> value, for the workbook and summary.json (a database password shows as ***)."""
        values = dataclasses.asdict(self)
        values["database"]["url"] = re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", values["database"]["url"])
        del values["database"]["url_source"]
        return values

    def with_environment(self, environment: Mapping[str, str]) -> PlanConfig:
        """A copy with the database of DATABASE_URL_VARIABLE when `environment` (the caller's
        os.environ) sets it: it wins over planning.toml, so a password need not sit in the data folder."""
        url = environment.get(DATABASE_URL_VARIABLE)
        return self.with_database_url(url, DATABASE_URL_VARIABLE) if url else self

    def with_database_url(self, url: str, source: str) -> PlanConfig:
        """A copy whose database is `url`, named `source` in errors (the CLI and the app pass the
        PLANNER_DATABASE_URL environment variable this way; the library never reads the environment)."""
        return dataclasses.replace(self, database=DatabaseConfig(url=url, url_source=source))

    def with_solver(self, name: str) -> PlanConfig:
        """A copy that uses another solver (the CLI's --solver)."""
        return dataclasses.replace(self, solver=dataclasses.replace(self.solver, name=name))

    def with_cluster(self, address: str) -> PlanConfig:
        """A copy whose store problems run on the Dask scheduler at `address` (the CLI's --cluster)."""
        config = dataclasses.replace(self, solver=dataclasses.replace(self.solver, cluster=address))
        _check_values(config, "--cluster")
        return config


def load_config(path: Path | None) -> PlanConfig:
    """Read `planning.toml`; a missing path gives the defaults."""
    if path is None or not path.exists():
        return PlanConfig()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{path.name}: not valid TOML ({exc})"
        raise ConfigError(msg) from exc
    return config_from_dict(raw, source=path.name)


def config_from_dict(raw: dict[str, Any], *, source: str = "config") -> PlanConfig:
    """Build a PlanConfig from nested dicts, rejecting unknown sections, unknown keys and wrong types."""
    sections = {f.name: f for f in dataclasses.fields(PlanConfig)}
    built: dict[str, Any] = {}
    for section_name, values in raw.items():
        if section_name not in sections:
            msg = f"{source}: unknown section [{section_name}]; known sections: {', '.join(sections)}"
            raise ConfigError(msg)
        if not isinstance(values, dict):
            msg = f"{source}: [{section_name}] must be a table of keys"
            raise ConfigError(msg)
        section_type = get_type_hints(PlanConfig)[section_name]
        built[section_name] = _build_section(section_type, section_name, values, source)
    config = PlanConfig(**built)
    _check_values(config, source)
    return config


def _build_section(section_type: type, section_name: str, values: dict[str, Any], source: str) -> Any:
    declared = {item.name for item in dataclasses.fields(section_type) if item.metadata.get("toml", True)}
    hints = {name: hint for name, hint in get_type_hints(section_type).items() if name in declared}
    for key, value in values.items():
        if key not in hints:
            msg = (
                f"{source}: unknown key '{key}' in [{section_name}]; "
                f"known keys: {', '.join(hints)}"
            )
            raise ConfigError(msg)
        try:  # strict: no "3" for 3, no true for 1; an int is a float
            TypeAdapter(hints[key]).validate_python(value, strict=True)
        except ValidationError:
            msg = f"{source}: [{section_name}] {key} = {shown(repr(value))} has the wrong type (expected {_type_name(hints[key])})"
            raise ConfigError(msg) from None
    return section_type(**values)


def _type_name(hint: Any) -> str:
    """`float | None`, `dict[str, str]`: a type hint as it reads in the source."""
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")


def _check_values(config: PlanConfig, source: str) -> None:
    """Every numeric setting inside its declared Range, then the rules between settings."""
    problems = []
    for section in dataclasses.fields(config):
        values = getattr(config, section.name)
        for item in dataclasses.fields(values):
            bounds, value = item.metadata.get("range"), getattr(values, item.name)
            if bounds is not None and value is not None and not bounds.holds(value):
                problems.append(f"[{section.name}] {item.name} = {value!r}: expected {bounds}")
    if config.solver.name.lower() not in ("highs", "cbc"):
        problems.append(f"[solver] name = {shown(repr(config.solver.name))}: expected 'highs' or 'cbc'")
    if config.solver.cluster and not CLUSTER_ADDRESS.fullmatch(config.solver.cluster):
        problems.append(f"[solver] cluster = {shown(repr(config.solver.cluster))}: expected a scheduler address such as 'tcp://scheduler:8786', or ''")
    a = config.assortment
    if a.core_max_items is not None and a.core_max_items < a.core_min_items:
        problems.append("[assortment] core_max_items is below core_min_items")
    if config.pos.engine not in ("duckdb", "pandas"):
        problems.append(f"[pos] engine = {shown(repr(config.pos.engine))}: expected 'duckdb' or 'pandas'")
    valid_targets = {"date", STORE_ID, "sku", "units", "revenue", "promo"}
    for header, target in config.pos.columns.items():
        if target not in valid_targets:
            problems.append(f"[pos.columns] {shown(repr(header))} = {shown(repr(target))}: expected one of {sorted(valid_targets)}")
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
