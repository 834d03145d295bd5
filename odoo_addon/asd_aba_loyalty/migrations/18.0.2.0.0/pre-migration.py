"""18.0.1 -> 18.0.2: the ledger no longer blocks Odoo from deleting loyalty cards.

- drop the foreign key aba_loyalty_point_move.card_id -> loyalty_card (card_id becomes a plain
  integer: a deleted card keeps its history) and record each move's card code;
- drop v1's CHECK (points >= 0) on Odoo's loyalty_card (stock Odoo may hold negative points on
  the cards the engine does not manage; the ledger keeps its own cards non-negative).
"""

from odoo.addons.asd_aba_loyalty.aba_loyalty_lib.aba_ledger import (
    MOVE_TABLE,
    drop_card_check,
    drop_card_foreign_key,
)


def migrate(cr, version):
    if not version:
        return
    drop_card_foreign_key(cr)
    drop_card_check(cr)
    cr.execute(f"ALTER TABLE {MOVE_TABLE} ADD COLUMN IF NOT EXISTS card_code varchar")
    cr.execute(
        f"UPDATE {MOVE_TABLE} m SET card_code = c.code FROM loyalty_card c "
        "WHERE c.id = m.card_id AND m.card_code IS NULL"
    )
