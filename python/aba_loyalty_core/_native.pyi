"""Type stubs of the native extension module (Rust, pyo3): exactly what it defines at runtime
(checked by mypy's stubtest in scripts/test.sh). The shapes of inputs and outputs live in the
runtime module aba_loyalty_core.types. A build with the `testing` cargo feature also has the
private functions aba_loyalty_core._testing wraps (not part of this stub)."""

from collections.abc import Sequence
from typing import final

from aba_loyalty_core.types import (
    DateTimeInput,
    DecimalInput,
    EngineConfig,
    EvaluationResult,
    MembershipSnapshot,
    Order,
)

__all__ = [
    "Engine",
    "Etl",
    "__version__",
    "etl_check_source",
    "etl_metrics",
    "etl_status",
    "etl_streams",
]

__version__: str

@final
class Engine:
    """A validated configuration. Raises ``ConfigError`` naming the bad field's path (its
    ``.path``: a tuple of keys and int indexes)."""

    def __new__(cls, config: EngineConfig) -> Engine: ...
    def evaluate(self, order: Order) -> EvaluationResult:
        """One order; raises ``OrderError`` / ``InsufficientPointsError``."""
    def evaluate_many(self, orders: Sequence[Order]) -> list[EvaluationResult]:
        """Many orders, computed with the GIL released; a bad order raises its error with its
        index first in ``.path`` (``(3, "lines", 2, "qty")``, message ``[3].lines[2].qty: ...``)
        and nothing is returned."""
    def evaluate_membership(
        self, partner_id: int, spend: DecimalInput, as_of: DateTimeInput
    ) -> MembershipSnapshot:
        """The snapshot for a partner with ``spend`` as of ``as_of`` (aware UTC datetimes)."""

# The ETL (src/etl.rs). Every call returns a JSON document (str) that aba_loyalty_core.etl
# decodes.

@final
class Etl:
    def __new__(cls, source_dsn: str, target_dsn: str) -> Etl: ...
    def full_load(self, streams: list[str] | None = None, resume: bool = True) -> str: ...
    def sync(
        self,
        streams: list[str] | None = None,
        due_only: bool = False,
        cadences: dict[str, float] | None = None,
        method: str = "ranged",
        sweep_blocks: int | None = None,
        check_keys: int | None = None,
    ) -> str: ...
    def validate(
        self, threshold: float = 0.999, tolerance: str = "0.000001", max_discrepancies: int = 1000
    ) -> str: ...
    def audit(
        self,
        since: str | None = None,
        until: str | None = None,
        threshold: int = 0,
        tolerance: str = "0.000001",
        max_findings: int = 10000,
        max_cards: int = 10000,
        points_on_tax_included: bool | None = None,
        sort_memory: int = 16777216,
    ) -> str: ...
    def status(self, cadences: dict[str, float] | None = None) -> str: ...
    def check_source(self) -> str: ...

def etl_status(target_dsn: str, cadences: dict[str, float] | None = None) -> str: ...
def etl_metrics(target_dsn: str, cadences: dict[str, float] | None = None) -> str: ...
def etl_check_source(source_dsn: str) -> str: ...
def etl_streams() -> list[tuple[str, str, str, bool, float]]: ...
