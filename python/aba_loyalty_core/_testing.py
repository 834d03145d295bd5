"""Test tooling: an Odoo-18-shaped source generator for tests, benchmarks and the demo.

Not part of the release wheel: this module is left out of it (pyproject.toml) and its native
half is compiled only with the ``testing`` cargo feature, which scripts/env.sh's build_module
turns on. ``activity`` writes fake earnings and doubles balances, so it refuses (with
:class:`~aba_loyalty_core.errors.EtlArgumentError`, before any write) every database that
``generate`` did not create.

    from aba_loyalty_core import _testing
    _testing.generate(dsn, cards=100_000)          # fill an EMPTY database
    _testing.activity(dsn, moves=500, drift=3)     # Odoo-like writes on that generated source
    _testing.generate_pos(dsn, orders=10_000)      # POS history with injected errors (audit)
"""

from __future__ import annotations

import json
from typing import Any

from aba_loyalty_core import _native

try:
    _generate = _native._testing_generate  # type: ignore[attr-defined]
    _activity = _native._testing_activity  # type: ignore[attr-defined]
    _generate_pos = _native._testing_generate_pos  # type: ignore[attr-defined]
except AttributeError:
    raise ImportError(
        "aba_loyalty_core._testing needs a build with the `testing` cargo feature "
        "(scripts/env.sh build_module); a release wheel has no generator"
    ) from None

#: The table only ``generate`` creates; ``activity`` refuses a database without it.
MARKER_TABLE = "aba_loyalty_generated_source"

Report = dict[str, Any]


def generate(
    dsn: str,
    *,
    cards: int = 1000,
    partners: int | None = None,
    moves: int | None = None,
    orders: int | None = None,
    with_addon: bool = True,
    seed: float = 0.42,
) -> Report:
    """Fill the empty database ``dsn`` with an Odoo-18-shaped source of ``cards`` cards.

    With the addon, 9 cards in 10 are engine-managed loyalty cards with ledger moves (ids first);
    the rest are gift cards, coupons and eWallets with points and no move. Defaults: partners
    1.2 x cards, ledger moves 4 x cards (one opening per managed card), history = the
    non-opening moves, orders = cards. ``with_addon=False`` leaves out the addon's tables.
    The database gets the marker table ``MARKER_TABLE``.
    """
    return json.loads(_generate(dsn, int(cards), partners, moves, orders, bool(with_addon), float(seed)))


def activity(dsn: str, *, moves: int = 1000, drift: int = 0, seed: float = 0.5) -> Report:
    """Write Odoo-like activity into a source ``generate`` created (never a real Odoo).

    ``moves`` earnings on skewed random cards, each a ledger move, a history line and the card's
    cached balance, in one transaction stamped with its start time as Odoo does; ``drift`` cards
    whose cached balance is doubled without a ledger move (what validation must catch). With the
    addon both touch managed cards only (cards with ledger moves). Returns
    ``{"moves", "cards_touched", "drifted_cards", "duration_ms"}``. Raises
    :class:`~aba_loyalty_core.errors.EtlArgumentError` on a database without the marker.
    """
    return json.loads(_activity(dsn, int(moves), int(drift), float(seed)))


def generate_pos(
    dsn: str, *, orders: int, lines: int = 10, cards: int = 1000, errors_per_kind: int = 1
) -> Report:
    """Fill the empty database ``dsn`` with an Odoo 18 POS history for the audit (Odoo's DDL).

    ``orders`` paid orders of ``lines`` lines for ``cards`` loyalty cards (one order in ten has
    no partner), a ``loyalty_history`` line per order that earns, as pos_loyalty writes them;
    then ``errors_per_kind`` injected errors of each audit finding kind, each on its own card
    (one finding expected per injection), and as many correct refunds and redemptions. Returns
    ``{"rows", "injected": [{"kind", "card_id", "order_id"}], "duration_ms"}``; the injections
    are also in the table ``aba_loyalty_injected_error``.
    """
    return json.loads(_generate_pos(dsn, int(orders), int(lines), int(cards), int(errors_per_kind)))


__all__ = ["MARKER_TABLE", "activity", "generate", "generate_pos"]
