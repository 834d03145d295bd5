-- Engine schema v3: validation compares only the cards the ledger manages; it counts the cards
-- it leaves out (Odoo's own cards without moves, cards Odoo deleted whose history stays).

ALTER TABLE aba_engine.validation_reports
    ADD COLUMN cards_unmanaged bigint NOT NULL DEFAULT 0,
    ADD COLUMN cards_deleted_with_history bigint NOT NULL DEFAULT 0;
