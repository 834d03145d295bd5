-- Engine schema v4: the state of the ranged sync (a round reads what changed, not whole tables).
--   key_floor / key_pending / key_pending_xmax: the id range a round reads new rows from (the
--     primary key index); the floor moves up only once every transaction that could still
--     commit a lower id has finished (key_pending_xmax <= the source's horizon).
--   wd_floor: where the next round's write_date range starts (only used when the source has an
--     index led by write_date): the start of the oldest transaction open on the source.
--   sweep_relfilenode / sweep_horizons / sweep_next: the rolling sweep of the table's pages, per
--     chunk of pages the transaction horizon it was last read at ('{}': every chunk at the
--     stream's horizon, after a round that read the whole table).
--   check_next: where the next slice of the key check (deletes) starts.
ALTER TABLE aba_engine.sync_state
    ADD COLUMN key_floor integer,
    ADD COLUMN key_pending integer,
    ADD COLUMN key_pending_xmax bigint,
    ADD COLUMN wd_floor timestamp,
    ADD COLUMN sweep_relfilenode bigint,
    ADD COLUMN sweep_horizons bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN sweep_next integer NOT NULL DEFAULT 0,
    ADD COLUMN check_next bigint NOT NULL DEFAULT 0;
