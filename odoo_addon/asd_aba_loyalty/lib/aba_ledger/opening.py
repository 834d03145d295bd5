"""Starting the ledger on a database that already has cards (the addon's install hook)."""

from __future__ import annotations

from .schema import MOVE_TABLE


def post_opening_moves(cr, user_id: int | None = None) -> dict:
    """One `opening` move per card without one, equal to its cached balance, set-based.

    Balances left negative by the old read-modify-write flow cannot stay (CHECK points >= 0):
    each gets an `adjust` move back to zero, so cache == ledger sum still holds and the repair is
    on record. NULL balances become 0. Returns counts and the repaired card ids.
    """
    cr.execute("UPDATE loyalty_card SET points = 0 WHERE points IS NULL")
    cr.execute(
        f"""
        INSERT INTO {MOVE_TABLE} (card_id, partner_id, program_id, kind, points, balance_after,
                                  unrecovered, idempotency_key, engine, create_uid, create_date,
                                  write_uid, write_date)
        SELECT id, partner_id, program_id, 'opening', points::numeric, points::numeric, 0,
               'opening:' || id, NULL, %s, now() AT TIME ZONE 'UTC', %s,
               now() AT TIME ZONE 'UTC'
          FROM loyalty_card
        ON CONFLICT (idempotency_key) DO NOTHING
        """,
        (user_id, user_id),
    )
    opened = cr.rowcount
    cr.execute(
        f"""
        WITH neg AS (
            SELECT id, partner_id, program_id, points AS old FROM loyalty_card
             WHERE points < 0 FOR UPDATE
        ), zeroed AS (
            UPDATE loyalty_card c SET points = 0 FROM neg WHERE c.id = neg.id
        )
        INSERT INTO {MOVE_TABLE} (card_id, partner_id, program_id, kind, points, balance_after,
                                  unrecovered, idempotency_key, engine, create_uid, create_date,
                                  write_uid, write_date)
        SELECT id, partner_id, program_id, 'adjust', -old::numeric, 0, 0,
               'repair-negative:' || id, NULL, %s, now() AT TIME ZONE 'UTC', %s,
               now() AT TIME ZONE 'UTC'
          FROM neg
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING card_id
        """,
        (user_id, user_id),
    )
    repaired = sorted(r[0] for r in cr.fetchall())
    return {"opened": opened, "repaired_negative": repaired}
