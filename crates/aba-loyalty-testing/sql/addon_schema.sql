-- The asd_aba_loyalty addon's tables and columns as docs/design.md §4 fixes them (the addon's models
-- create them in a real Odoo; the generator creates the same shape).
--
-- The ledger (aba_loyalty_point_move) has no foreign key to loyalty_card: only engine-managed
-- loyalty cards have moves, and Odoo may delete a card that has history (its id stays in
-- card_id, its code in card_code). card_code and shortfall came with addon 18.0.2; the ETL
-- still reads a ledger without them.

CREATE TABLE public.aba_loyalty_tier (
    id integer NOT NULL,
    code character varying NOT NULL,
    name jsonb,
    rank integer,
    multiplier numeric,
    min_spend numeric,
    active boolean,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE SEQUENCE public.aba_loyalty_tier_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;

ALTER SEQUENCE public.aba_loyalty_tier_id_seq OWNED BY public.aba_loyalty_tier.id;

ALTER TABLE ONLY public.aba_loyalty_tier ALTER COLUMN id SET DEFAULT nextval('public.aba_loyalty_tier_id_seq'::regclass);

CREATE TABLE public.aba_loyalty_membership (
    id integer NOT NULL,
    partner_id integer,
    tier_id integer,
    spend numeric,
    evaluated_at timestamp without time zone,
    valid_until timestamp without time zone,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE SEQUENCE public.aba_loyalty_membership_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;

ALTER SEQUENCE public.aba_loyalty_membership_id_seq OWNED BY public.aba_loyalty_membership.id;

ALTER TABLE ONLY public.aba_loyalty_membership ALTER COLUMN id SET DEFAULT nextval('public.aba_loyalty_membership_id_seq'::regclass);

CREATE TABLE public.aba_loyalty_point_move (
    id integer NOT NULL,
    card_id integer NOT NULL,
    card_code character varying,
    partner_id integer,
    program_id integer,
    order_uid character varying,
    pos_order_id integer,
    kind character varying NOT NULL,
    points numeric NOT NULL,
    balance_after numeric,
    unrecovered numeric,
    shortfall numeric,
    idempotency_key character varying,
    engine character varying,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE SEQUENCE public.aba_loyalty_point_move_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;

ALTER SEQUENCE public.aba_loyalty_point_move_id_seq OWNED BY public.aba_loyalty_point_move.id;

ALTER TABLE ONLY public.aba_loyalty_point_move ALTER COLUMN id SET DEFAULT nextval('public.aba_loyalty_point_move_id_seq'::regclass);

ALTER TABLE public.pos_order
    ADD COLUMN aba_membership_tier character varying,
    ADD COLUMN aba_membership_evaluated_at timestamp without time zone,
    ADD COLUMN aba_membership_valid_until timestamp without time zone,
    ADD COLUMN aba_loyalty_status character varying;

ALTER TABLE ONLY public.aba_loyalty_tier
    ADD CONSTRAINT aba_loyalty_tier_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.aba_loyalty_tier
    ADD CONSTRAINT aba_loyalty_tier_code_uniq UNIQUE (code);

ALTER TABLE ONLY public.aba_loyalty_membership
    ADD CONSTRAINT aba_loyalty_membership_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.aba_loyalty_point_move
    ADD CONSTRAINT aba_loyalty_point_move_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.aba_loyalty_point_move
    ADD CONSTRAINT aba_loyalty_point_move_idempotency_key_uniq UNIQUE (idempotency_key);

CREATE INDEX aba_loyalty_point_move__card_id_index ON public.aba_loyalty_point_move USING btree (card_id);

CREATE INDEX aba_loyalty_membership__partner_id_index ON public.aba_loyalty_membership USING btree (partner_id);
