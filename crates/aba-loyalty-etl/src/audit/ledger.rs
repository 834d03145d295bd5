//! The addon's ledger as recorded history. Where the addon is installed, its ledger
//! (`aba_loyalty_point_move`) moves the managed cards' points, and `loyalty_history` only gets
//! the lines pos_loyalty's client asks for (`add_loyalty_history_lines`, after a sale): a refund
//! the addon took points back for has ledger moves but no history line. For such (card, order)
//! pairs the moves stand in for the missing line, so that the refund is compared with what the
//! card really lost and the card's balance is explained.
use postgres::Transaction;

use crate::error::{DbContext, Result, Side};

/// A `UNION ALL` branch of the cards-and-history COPY (its columns: card, 1, NULL, NULL,
/// order, is a POS order, issued, used, recorded at, a negative id so that it never equals a
/// history line's) for the audited cards `c` (`cards`: an SQL condition on them); empty without
/// the addon's ledger table.
pub fn history_sql(tx: &mut Transaction<'_>, cards: &str) -> Result<String> {
    let has_ledger: bool = tx
        .query_one(
            "SELECT to_regclass('public.aba_loyalty_point_move') IS NOT NULL",
            &[],
        )
        .db(Side::Source, "looking for the addon's ledger")?
        .get(0);
    if !has_ledger {
        return Ok(String::new());
    }
    Ok(format!(
        " UNION ALL
          SELECT m.card_id, 1, NULL, NULL, m.pos_order_id, true,
                 sum(greatest(m.points, 0))::float8, sum(greatest(-m.points, 0))::float8,
                 min(m.create_date), -min(m.id)
          FROM public.aba_loyalty_point_move m JOIN public.loyalty_card c ON c.id = m.card_id
          WHERE {cards} AND m.pos_order_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM public.loyalty_history h
                            WHERE h.card_id = m.card_id AND h.order_model = 'pos.order'
                              AND h.order_id = m.pos_order_id)
          GROUP BY m.card_id, m.pos_order_id"
    ))
}
