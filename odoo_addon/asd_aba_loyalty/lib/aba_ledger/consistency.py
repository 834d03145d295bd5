"""Consistency check: per card, the cached balance equals the sum of its ledger moves."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .schema import MOVE_TABLE


@dataclass(frozen=True)
class Discrepancy:
    card_id: int
    cache: Decimal    # loyalty_card.points
    ledger: Decimal   # sum of the card's moves

    @property
    def difference(self) -> Decimal:
        return self.cache - self.ledger


@dataclass(frozen=True)
class ConsistencyReport:
    cards: int
    discrepancies: list[Discrepancy]

    @property
    def consistent(self) -> bool:
        return not self.discrepancies

    @property
    def rate(self) -> Decimal:
        if not self.cards:
            return Decimal(1)
        return Decimal(self.cards - len(self.discrepancies)) / Decimal(self.cards)


def check_consistency(cr, card_ids=None, precision: int = 6) -> ConsistencyReport:
    """Compare every card (or the given ones) with its ledger sum, in one set-based query.

    Both sides are rounded to `precision` places: the cache is a float8 column.
    """
    where, params = "", []
    if card_ids is not None:
        where, params = "WHERE c.id = ANY(%s)", [list(card_ids)]
    cr.execute(
        f"""
        SELECT c.id, COALESCE(c.points, 0)::numeric, COALESCE(m.total, 0),
               round(COALESCE(c.points, 0)::numeric, %s) <> round(COALESCE(m.total, 0), %s)
          FROM loyalty_card c
          LEFT JOIN (SELECT card_id, SUM(points) AS total FROM {MOVE_TABLE}
                      GROUP BY card_id) m ON m.card_id = c.id
          {where}
         ORDER BY c.id
        """,
        [precision, precision, *params],
    )
    rows = cr.fetchall()
    found = [Discrepancy(r[0], Decimal(r[1]), Decimal(r[2])) for r in rows if r[3]]
    return ConsistencyReport(len(rows), found)
