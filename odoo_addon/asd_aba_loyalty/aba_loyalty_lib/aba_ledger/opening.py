"""Starting the ledger on a database that already has cards (the addon's install hook)."""

from __future__ import annotations

from .schema import MOVE_TABLE


def post_opening_moves(cr, user_id: int | None = None, program_ids=None) -> dict:
    """One `opening` move per card without one, equal to its cached balance, set-based.

    `program_ids`: only the cards of these programs (the programs the engine manages); None: every
    card. Balances left negative by the old read-modify-write flow cannot stay in the ledger
    (never below zero): each gets an `adjust` move back to zero, so cache == ledger sum still
    holds and the repair is on record. NULL balances become 0. Cards of other programs are not
    touched. Returns counts and the repaired card ids.
    """
    where, params = "", []
    if program_ids is not None:
        where, params = "AND program_id = ANY(%s)", [list(program_ids)]
    cr.execute(f"UPDATE loyalty_card SET points = 0 WHERE points IS NULL {where}", params)
    cr.execute(
        f"""
        INSERT INTO {MOVE_TABLE} (card_id, card_code, partner_id, program_id, kind, points,
                                  balance_after, unrecovered, idempotency_key, engine, create_uid,
                                  create_date, write_uid, write_date)
        SELECT id, code, partner_id, program_id, 'opening', points::numeric, points::numeric, 0,
               'opening:' || id, NULL, %s, now() AT TIME ZONE 'UTC', %s,
               now() AT TIME ZONE 'UTC'
          FROM loyalty_card
         WHERE TRUE {where}
        ON CONFLICT (idempotency_key) DO NOTHING
        """,
        [user_id, user_id, *params],
    )
    opened = cr.rowcount
    cr.execute(
        f"""
        WITH neg AS (
            SELECT id, code, partner_id, program_id, points AS old FROM loyalty_card
             WHERE points < 0 {where} FOR UPDATE
        ), zeroed AS (
            UPDATE loyalty_card c SET points = 0 FROM neg WHERE c.id = neg.id
        )
        INSERT INTO {MOVE_TABLE} (card_id, card_code, partner_id, program_id, kind, points,
                                  balance_after, unrecovered, idempotency_key, engine, create_uid,
                                  create_date, write_uid, write_date)
        SELECT id, code, partner_id, program_id, 'adjust', -old::numeric, 0, 0,
               'repair-negative:' || id, NULL, %s, now() AT TIME ZONE 'UTC', %s,
               now() AT TIME ZONE 'UTC'
          FROM neg
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING card_id
        """,
        [*params, user_id, user_id],
    )
    repaired = sorted(r[0] for r in cr.fetchall())
    return {"opened": opened, "repaired_negative": repaired}
