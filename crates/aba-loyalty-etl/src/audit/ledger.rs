//! The addon's ledger as recorded history. Where the addon is installed, its ledger
//! (`aba_loyalty_point_move`) moves the managed cards' points, and `loyalty_history` only gets
//! the lines pos_loyalty's client asks for (`add_loyalty_history_lines`, after a sale): a refund
//! the addon took points back for has ledger moves but no history line. For such (card, order)
//! pairs the moves stand in for the missing line, so that the refund is compared with what the
//! card really lost and the card's balance is explained.
/// The addon's ledger table, when the source has it (see `mapping::has_table`).
pub const TABLE: &str = "aba_loyalty_point_move";

/// A `UNION ALL` branch of the cards-and-history COPY (its columns: card, 1, NULL, NULL,
/// order, is a POS order, issued, used, recorded at, a negative id so that it never equals a
/// history line's) for the audited cards `c` (`cards`: an SQL condition on them), where the
/// source has the addon's ledger table.
pub fn history_sql(cards: &str) -> String {
    format!(
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
    )
}
