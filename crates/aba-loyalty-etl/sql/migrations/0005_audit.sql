-- Engine schema v5: audit reports (an Odoo database's POS history replayed through the engine),
-- their findings and the per-card adjust moves they propose (never written to Odoo).

CREATE TABLE aba_engine.audit_reports (
    id bigserial PRIMARY KEY,
    started_at timestamptz NOT NULL,
    duration_ms double precision NOT NULL,
    since timestamp,
    until timestamp,
    threshold bigint NOT NULL,
    orders_audited bigint NOT NULL,
    cards_audited bigint NOT NULL,
    findings bigint NOT NULL,
    cards_with_difference bigint NOT NULL,
    alert boolean NOT NULL,
    -- The whole report as returned (programs audited / not audited, counts by kind...).
    report jsonb NOT NULL
);

CREATE TABLE aba_engine.audit_findings (
    report_id bigint NOT NULL REFERENCES aba_engine.audit_reports (id) ON DELETE CASCADE,
    kind text NOT NULL,
    card_id integer NOT NULL,
    order_id integer,
    odoo_value text NOT NULL,
    engine_value text NOT NULL
);
CREATE INDEX audit_findings_report_idx ON aba_engine.audit_findings (report_id, kind);

-- One row per card whose replayed balance differs from Odoo's: the proposed adjust move.
CREATE TABLE aba_engine.audit_adjustments (
    report_id bigint NOT NULL REFERENCES aba_engine.audit_reports (id) ON DELETE CASCADE,
    card_id integer NOT NULL,
    program_id integer NOT NULL,
    odoo_balance numeric NOT NULL,
    replayed_balance numeric NOT NULL,
    points numeric NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (report_id, card_id)
);
