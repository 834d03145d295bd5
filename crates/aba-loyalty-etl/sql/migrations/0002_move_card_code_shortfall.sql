-- Engine schema v2 (addon 18.0.2): the ledger has no foreign key to loyalty_card any more (Odoo
-- may delete a card that has history; its moves stay, with the card's id and code), and a paid
-- order posted down to zero records what the card could not cover.

ALTER TABLE aba_engine.point_moves
    ADD COLUMN card_code text,          -- the card's code when the move was posted
    ADD COLUMN shortfall numeric;       -- what the card could not cover (>= 0; NULL on old moves)
