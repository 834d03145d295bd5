-- Engine schema v1: the engine's copy of Odoo's loyalty data, its ledger-derived balances, and
-- the ETL's own bookkeeping (sync state per stream, run log, rejects, validation reports).
-- Types follow Odoo's columns, except that Odoo's float8 amounts become exact numerics.

CREATE TABLE aba_engine.partners (
    id integer PRIMARY KEY,
    name text,
    email text,
    phone text,
    company_id integer,
    active boolean,
    create_date timestamp,
    write_date timestamp
);

CREATE TABLE aba_engine.programs (
    id integer PRIMARY KEY,
    name jsonb NOT NULL,
    program_type text NOT NULL,
    applies_on text,
    trigger text,
    sequence integer,
    active boolean,
    date_from date,
    date_to date,
    currency_id integer,
    company_id integer,
    pos_ok boolean,
    create_date timestamp,
    write_date timestamp
);

CREATE TABLE aba_engine.rules (
    id integer PRIMARY KEY,
    program_id integer NOT NULL,
    mode text,
    reward_point_mode text NOT NULL,
    reward_point_amount numeric NOT NULL,
    reward_point_split boolean,
    minimum_qty integer,
    minimum_amount numeric,
    minimum_amount_tax_mode text,
    active boolean,
    create_date timestamp,
    write_date timestamp
);
CREATE INDEX rules_program_id_idx ON aba_engine.rules (program_id);

CREATE TABLE aba_engine.rewards (
    id integer PRIMARY KEY,
    program_id integer NOT NULL,
    reward_type text NOT NULL,
    discount_mode text NOT NULL,
    discount numeric,
    discount_applicability text,
    discount_max_amount numeric,
    required_points numeric,
    description jsonb NOT NULL,
    active boolean,
    create_date timestamp,
    write_date timestamp
);
CREATE INDEX rewards_program_id_idx ON aba_engine.rewards (program_id);

CREATE TABLE aba_engine.cards (
    id integer PRIMARY KEY,
    program_id integer,
    partner_id integer,
    code text NOT NULL,
    active boolean,
    expiration_date date,
    odoo_points numeric,          -- Odoo's cached balance, as read; the engine's is card_balances
    create_date timestamp,
    write_date timestamp
);

CREATE TABLE aba_engine.point_moves (
    id integer PRIMARY KEY,
    card_id integer NOT NULL,
    partner_id integer,
    program_id integer,
    order_uid text,
    pos_order_id integer,
    kind text NOT NULL,
    points numeric NOT NULL,
    balance_after numeric,
    unrecovered numeric,
    idempotency_key text,
    engine text,
    create_date timestamp,
    write_date timestamp
);
CREATE INDEX point_moves_card_id_idx ON aba_engine.point_moves (card_id);

CREATE TABLE aba_engine.history (
    id integer PRIMARY KEY,
    card_id integer NOT NULL,
    order_id integer,
    order_model text,
    description text,
    issued numeric,
    used numeric,
    create_date timestamp,
    write_date timestamp
);

CREATE TABLE aba_engine.tiers (
    id integer PRIMARY KEY,
    code text NOT NULL,
    name jsonb,
    rank integer,
    multiplier numeric,
    min_spend numeric,
    active boolean,
    create_date timestamp,
    write_date timestamp
);

CREATE TABLE aba_engine.memberships (
    id integer PRIMARY KEY,
    partner_id integer,
    tier_id integer,
    spend numeric,
    evaluated_at timestamp,
    valid_until timestamp,
    create_date timestamp,
    write_date timestamp
);

CREATE TABLE aba_engine.orders (
    id integer PRIMARY KEY,
    name text,
    uuid text,
    partner_id integer,
    date_order timestamp,
    state text,
    amount_total numeric,
    aba_membership_tier text,
    aba_membership_evaluated_at timestamp,
    aba_membership_valid_until timestamp,
    aba_loyalty_status text,
    create_date timestamp,
    write_date timestamp
);

-- The engine's balance of each card: the sum of its ledger moves, maintained in the same
-- transaction as the moves that change it.
CREATE TABLE aba_engine.card_balances (
    card_id integer PRIMARY KEY,
    balance numeric NOT NULL,
    moves integer NOT NULL
);

-- One row per full load; a load killed midway stays 'running' and is resumed by the next one.
CREATE TABLE aba_engine.loads (
    id bigserial PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status text NOT NULL CHECK (status IN ('running', 'done')),
    streams text[] NOT NULL
);

-- Per stream: the source snapshot the target is known to be complete up to. horizon_xid is
-- pg_snapshot_xmin of that snapshot: every source transaction below it had finished, so the
-- next sync reads exactly the rows written by transactions at or above it.
CREATE TABLE aba_engine.sync_state (
    stream text PRIMARY KEY,
    group_name text NOT NULL,
    load_id bigint,
    horizon_xid bigint NOT NULL,
    snapshot_at timestamptz NOT NULL,
    wm_write_date timestamp,
    wm_id integer,
    rows_total bigint NOT NULL,
    last_success_at timestamptz NOT NULL,
    full_loaded_at timestamptz NOT NULL
);

CREATE TABLE aba_engine.run_log (
    id bigserial PRIMARY KEY,
    stream text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('full_load', 'sync')),
    status text NOT NULL CHECK (status IN ('ok', 'error')),
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    rows_read bigint NOT NULL DEFAULT 0,
    rows_upserted bigint NOT NULL DEFAULT 0,
    rows_deleted bigint NOT NULL DEFAULT 0,
    rows_rejected bigint NOT NULL DEFAULT 0,
    duration_ms double precision NOT NULL,
    lag_ms double precision,
    error text
);
CREATE INDEX run_log_stream_idx ON aba_engine.run_log (stream, id DESC);

CREATE TABLE aba_engine.rejects (
    id bigserial PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES aba_engine.run_log (id) ON DELETE CASCADE,
    stream text NOT NULL,
    source_table text NOT NULL,
    source_id bigint,
    reason text NOT NULL
);
CREATE INDEX rejects_run_id_idx ON aba_engine.rejects (run_id);

CREATE TABLE aba_engine.validation_reports (
    id bigserial PRIMARY KEY,
    started_at timestamptz NOT NULL,
    duration_ms double precision NOT NULL,
    threshold double precision NOT NULL,
    tolerance numeric NOT NULL,
    cards_odoo bigint NOT NULL,
    cards_engine bigint NOT NULL,
    cards_compared bigint NOT NULL,
    consistent bigint NOT NULL,
    discrepancies bigint NOT NULL,
    consistency_rate double precision NOT NULL,
    points_total_odoo numeric NOT NULL,
    points_total_engine numeric NOT NULL,
    alert boolean NOT NULL
);

CREATE TABLE aba_engine.validation_discrepancies (
    report_id bigint NOT NULL REFERENCES aba_engine.validation_reports (id) ON DELETE CASCADE,
    card_id integer NOT NULL,
    field text NOT NULL,
    kind text NOT NULL,
    odoo_value text,
    engine_value text
);
CREATE INDEX validation_discrepancies_report_idx ON aba_engine.validation_discrepancies (report_id);
