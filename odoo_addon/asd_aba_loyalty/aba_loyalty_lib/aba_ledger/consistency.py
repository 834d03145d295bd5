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


# One constant statement (no SQL text assembled at run time): a NULL array means "no filter".
_CHECK_SQL = f"""
    SELECT c.id, COALESCE(c.points, 0)::numeric, COALESCE(m.total, 0),
           round(COALESCE(c.points, 0)::numeric, %(precision)s)
               <> round(COALESCE(m.total, 0), %(precision)s)
      FROM loyalty_card c
      LEFT JOIN (SELECT card_id, SUM(points) AS total FROM {MOVE_TABLE}
                  GROUP BY card_id) m ON m.card_id = c.id
     WHERE CASE WHEN %(cards)s::int[] IS NULL THEN m.card_id IS NOT NULL
                ELSE c.id = ANY(%(cards)s::int[]) END
       AND (%(programs)s::int[] IS NULL OR c.program_id = ANY(%(programs)s::int[]))
     ORDER BY c.id
"""


def check_consistency(cr, card_ids=None, precision: int = 6,
                      program_ids=None) -> ConsistencyReport:
    """Compare every card that has ledger moves (or the given cards) with its ledger sum, in one
    set-based query; `program_ids`: only the cards of these programs.

    Cards without any move are outside the ledger (Odoo's own coupons, gift cards, eWallets), so
    they are not compared unless named in `card_ids`. Both sides are rounded to `precision`
    places: the cache is a float8 column.
    """
    cr.execute(_CHECK_SQL, {
        "precision": precision,
        "cards": list(card_ids) if card_ids is not None else None,
        "programs": list(program_ids) if program_ids is not None else None,
    })
    rows = cr.fetchall()
    found = [Discrepancy(r[0], Decimal(r[1]), Decimal(r[2])) for r in rows if r[3]]
    return ConsistencyReport(len(rows), found)
