from aba_loyalty_core._native import (
    Engine as Engine,
)
from aba_loyalty_core._native import (
    EngineConfig as EngineConfig,
)
from aba_loyalty_core._native import (
    EvaluationResult as EvaluationResult,
)
from aba_loyalty_core._native import (
    MembershipSnapshot as MembershipSnapshot,
)
from aba_loyalty_core._native import (
    Order as Order,
)
from aba_loyalty_core.errors import (
    ConfigError as ConfigError,
)
from aba_loyalty_core.errors import (
    EtlError as EtlError,
)
from aba_loyalty_core.errors import (
    InsufficientPointsError as InsufficientPointsError,
)
from aba_loyalty_core.errors import (
    LoyaltyError as LoyaltyError,
)
from aba_loyalty_core.errors import (
    OrderError as OrderError,
)

__version__: str
__all__ = [
    "ConfigError",
    "Engine",
    "EtlError",
    "InsufficientPointsError",
    "LoyaltyError",
    "OrderError",
    "__version__",
]
