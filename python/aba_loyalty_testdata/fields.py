"""Every key an engine config or order may hold, read from the documented input types
(``aba_loyalty_core.types``) rather than listed again: the garbage generators draw dict keys
from it, and tests/test_garbage.py holds the fuzz target's key list (fuzz/src/lib.rs) to it."""

from __future__ import annotations

from aba_loyalty_core import types

#: The TypedDicts of the input side, config then order.
INPUT_TYPES = (
    types.EngineConfig, types.CurrencyConfig, types.TierConfig, types.MembershipConfig,
    types.ProgramConfig, types.RuleConfig, types.RewardConfig,
    types.Order, types.Card, types.MembershipSnapshotInput, types.OrderLine, types.RedeemItem,
    types.Original, types.OriginalLine, types.OriginalRedemption,
)


def _field_names() -> list[str]:
    names: list[str] = []
    for typed in INPUT_TYPES:
        for name in typed.__annotations__:
            if name not in names:
                names.append(name)
    return names


#: Every input field name, once, in the order the types declare them.
FIELD_NAMES: list[str] = _field_names()
