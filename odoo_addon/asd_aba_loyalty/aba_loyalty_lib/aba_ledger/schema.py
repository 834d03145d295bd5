"""Schema the ledger relies on.

In Odoo the ORM creates the move table from the model `aba.loyalty.point.move`; the DDL here is
the same table (same columns, same constraint name) for use outside Odoo (tests, tools).
The table has no foreign key to `loyalty_card`: Odoo deletes coupons, gift cards and loyalty
cards in its own flows, and a deleted card's history stays (its id in `card_id`, its code in
`card_code`). Balances never go below zero through the ledger: the posting logic takes a move down
to zero at most, and the CHECK `balance_after >= 0` on the move table guards it (except on an `opening`
move, which records the balance a card had before the ledger, negative ones included: the
`adjust` move that follows repairs it to zero).

`ensure_card_check` (a CHECK `points >= 0` on Odoo's own `loyalty_card`) is what v1 of the addon
installed; the addon no longer does (stock Odoo may hold negative points on cards the engine does
not manage), and drops it on upgrade and uninstall. It stays available for standalone use.
"""

MOVE_TABLE = "aba_loyalty_point_move"
KEY_CONSTRAINT = "aba_loyalty_point_move_idempotency_key_unique"
CARD_CHECK = "aba_loyalty_card_points_non_negative"
BALANCE_CHECK = "aba_loyalty_point_move_balance_non_negative"
CARD_FK = "aba_loyalty_point_move_card_id_fkey"
BALANCE_CHECK_SQL = "CHECK (kind = 'opening' OR balance_after >= 0)"

MOVE_TABLE_DDL = f"""
CREATE TABLE IF NOT EXISTS {MOVE_TABLE} (
    id serial PRIMARY KEY,
    card_id integer NOT NULL,
    card_code varchar,
    partner_id integer,
    program_id integer,
    order_uid varchar,
    pos_order_id integer,
    kind varchar NOT NULL,
    points numeric NOT NULL,
    balance_after numeric,
    unrecovered numeric,
    shortfall numeric,
    idempotency_key varchar NOT NULL,
    engine varchar,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone,
    CONSTRAINT {KEY_CONSTRAINT} UNIQUE (idempotency_key),
    CONSTRAINT {BALANCE_CHECK} {BALANCE_CHECK_SQL}
)
"""


_ADD_CARD_CHECK = (
    f"ALTER TABLE loyalty_card ADD CONSTRAINT {CARD_CHECK} CHECK (points >= 0) NOT VALID"
)
_VALIDATE_CARD_CHECK = f"ALTER TABLE loyalty_card VALIDATE CONSTRAINT {CARD_CHECK}"
_DROP_CARD_CHECK = f"ALTER TABLE loyalty_card DROP CONSTRAINT IF EXISTS {CARD_CHECK}"
_DROP_CARD_FK = f"ALTER TABLE {MOVE_TABLE} DROP CONSTRAINT IF EXISTS {CARD_FK}"
_CARD_INDEX = f"CREATE INDEX IF NOT EXISTS {MOVE_TABLE}__card_id_index ON {MOVE_TABLE} (card_id)"


def ensure_move_table(cr):
    """Create the move table when it does not exist (outside Odoo only)."""
    cr.execute(MOVE_TABLE_DDL)
    cr.execute(_CARD_INDEX)


def drop_card_foreign_key(cr):
    """Remove v1's foreign key move -> loyalty_card (the addon's upgrade to 18.0.2)."""
    cr.execute(_DROP_CARD_FK)


def ensure_card_check(cr):
    """Add CHECK (points >= 0) on loyalty_card, once.

    Added NOT VALID then validated, so that the caller can first repair negative balances left by
    the old read-modify-write flow (see `opening.post_opening_moves`); returns True when the
    constraint is validated, False when negative rows still exist (it is then enforced on every
    new write but not yet on those rows).
    """
    cr.execute(
        "SELECT convalidated FROM pg_constraint WHERE conname = %s AND conrelid = "
        "'loyalty_card'::regclass",
        (CARD_CHECK,),
    )
    row = cr.fetchone()
    if row is None:
        cr.execute(_ADD_CARD_CHECK)
    elif row[0]:
        return True
    cr.execute("SELECT 1 FROM loyalty_card WHERE points < 0 LIMIT 1")
    if cr.fetchone():
        return False
    cr.execute(_VALIDATE_CARD_CHECK)
    return True


def drop_card_check(cr):
    """Remove the CHECK (the addon's uninstall)."""
    cr.execute(_DROP_CARD_CHECK)
