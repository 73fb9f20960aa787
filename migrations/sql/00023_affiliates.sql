-- Affiliates (referral partners, GET /v2/affiliates) with their custom
-- fields (GET /v2/affiliates/model, the view affiliates_custom), what each
-- earned (GET /v2/affiliates/summaries), the commission programs and
-- redirect links, and the referrals they brought (GET /v2/referrals). All
-- are read whole each run (one call each for most accounts) but referrals,
-- which never change once made: newest first down to the high-water mark.

-- +goose Up
CREATE TABLE /* TEMPLATE: data */affiliates (
    account text NOT NULL,
    id bigint NOT NULL,
    code text, -- json: code
    name text, -- json: name
    status text, -- json: status
    contact_id bigint, -- json: contact_id
    unique_site_id bigint, -- json: unique_site_id
    date_created timestamptz, -- json: date_created
    parent_affiliate_id bigint, -- json: parent_affiliate_id
    notify_on_sale boolean, -- json: notify_on_sale
    notify_on_lead boolean, -- json: notify_on_lead
    track_leads_days integer, -- json: track_leads_days
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */affiliates IS 'Keap affiliates, or referral partners (GET /v2/affiliates); custom fields in affiliates_custom, earnings in affiliate_summaries.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliates.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliates.code IS 'The affiliate''s code.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliates.name IS 'Affiliate name.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliates.status IS 'ACTIVE or INACTIVE.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliates.contact_id IS 'The affiliate''s contact: joins keap.contacts.id.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliates.unique_site_id IS 'Keap''s site id of the affiliate.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliates.date_created IS 'When the affiliate was created.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliates.parent_affiliate_id IS 'The parent affiliate (joins id); 0 for none.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliates.notify_on_sale IS 'Whether the affiliate is told of each sale.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliates.notify_on_lead IS 'Whether the affiliate is told of each lead.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliates.track_leads_days IS 'How many days a lead is credited to the affiliate.';

CREATE TABLE /* TEMPLATE: data */affiliate_custom_fields (
    account text NOT NULL,
    id bigint NOT NULL,
    label text, -- json: label
    field_name text, -- json: field_name
    field_type text, -- json: field_type
    record_type text, -- json: record_type
    group_id bigint, -- json: group_id
    group_name text, -- json: group_name
    default_value text, -- json: default_value
    options jsonb, -- json: options
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */affiliate_custom_fields IS 'Definitions of affiliate custom fields (GET /v2/affiliates/model). keapsync.refresh_custom_field_view() rebuilds keap.affiliates_custom from them.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_custom_fields.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_custom_fields.label IS 'Label shown in Keap.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_custom_fields.field_name IS 'Keap field name.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_custom_fields.field_type IS 'Keap field type (TEXT, WHOLE_NUMBER, DATE, YES_NO, DROPDOWN, ...), which decides the column type in the named view.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_custom_fields.record_type IS 'Keap record type of the field.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_custom_fields.group_id IS 'Field group id.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_custom_fields.group_name IS 'Field group name.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_custom_fields.default_value IS 'Default value.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_custom_fields.options IS 'Options of list fields: [{id, label}].';

CREATE TABLE /* TEMPLATE: data */affiliate_summaries (
    account text NOT NULL,
    id bigint NOT NULL,
    amount_earned numeric, -- json: amountEarned
    clawbacks numeric, -- json: clawbacks
    balance numeric, -- json: balance
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */affiliate_summaries IS 'What each affiliate earned, all time (GET /v2/affiliates/summaries): one row per affiliate, id being the affiliate''s (joins keap.affiliates.id). Read whole each run: the amounts change without an update time.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_summaries.id IS 'The affiliate (affiliateId): joins keap.affiliates.id.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_summaries.amount_earned IS 'Commissions earned, in the account''s currency.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_summaries.clawbacks IS 'Commissions clawed back.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_summaries.balance IS 'What the affiliate is still owed.';

CREATE TABLE /* TEMPLATE: data */affiliate_commission_programs (
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name
    priority integer, -- json: priority
    notes text, -- json: notes
    create_time timestamptz, -- json: create_time
    affiliate_ids jsonb, -- json: affiliate_ids
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */affiliate_commission_programs IS 'Keap affiliate commission programs (GET /v2/affiliates/commissionPrograms).';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_commission_programs.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_commission_programs.name IS 'Program name.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_commission_programs.priority IS 'Priority among programs (lower first).';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_commission_programs.notes IS 'Notes.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_commission_programs.create_time IS 'When the program was created.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_commission_programs.affiliate_ids IS 'The affiliates in the program: a JSON array of ids (keap.affiliates.id).';

CREATE TABLE /* TEMPLATE: data */affiliate_redirects (
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name
    code text, -- json: code
    affiliate_id bigint, -- json: affiliate_id
    local_url_code text, -- json: local_url_code
    redirect_url text, -- json: redirect_url
    website_address text, -- json: website_address
    program_ids jsonb, -- json: program_ids
    date_created timestamptz, -- json: date_created
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */affiliate_redirects IS 'Keap affiliate redirect links (GET /v2/affiliates/redirects): the links an affiliate shares.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_redirects.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_redirects.name IS 'Link name.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_redirects.code IS 'Link code.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_redirects.affiliate_id IS 'The affiliate: joins keap.affiliates.id.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_redirects.local_url_code IS 'The code in the tracking URL.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_redirects.redirect_url IS 'Where the link leads.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_redirects.website_address IS 'The website of the link.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_redirects.program_ids IS 'Commission programs of the link: a JSON array of ids.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_redirects.date_created IS 'When the link was created.';

CREATE TABLE /* TEMPLATE: data */affiliate_referrals (
    account text NOT NULL,
    id bigint NOT NULL,
    description text, -- json: description
    source text, -- json: source
    contact_id bigint, -- json: contact_id
    referral_partner_id bigint, -- json: referral_partner_id
    referral_time timestamptz, -- json: referral_time
    expiration_time timestamptz, -- json: expiration_time
    ip_address text, -- json: ip_address
    referral_type text, -- json: referral_type
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */affiliate_referrals IS 'Keap referrals (GET /v2/referrals): each contact an affiliate brought; a referral never changes once made.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_referrals.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_referrals.description IS 'Description.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_referrals.source IS 'Where the referral came from.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_referrals.contact_id IS 'The contact referred: joins keap.contacts.id.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_referrals.referral_partner_id IS 'The affiliate: joins keap.affiliates.id.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_referrals.referral_time IS 'When the contact was referred.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_referrals.expiration_time IS 'When the referral stops crediting the affiliate.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_referrals.ip_address IS 'The visitor''s IP address.';
COMMENT ON COLUMN /* TEMPLATE: data */affiliate_referrals.referral_type IS 'COOKIE, PERMANENT or MANUAL.';
CREATE INDEX ON /* TEMPLATE: data */affiliate_referrals (account, referral_partner_id);

INSERT INTO /* TEMPLATE: state */custom_field_entities (entity, definitions) VALUES ('affiliates', 'affiliate_custom_fields');
CREATE OR REPLACE VIEW /* TEMPLATE: data */custom_fields AS
    SELECT d.*, c.column_name
    FROM (
        SELECT 'contacts'::text AS entity, f.* FROM /* TEMPLATE: data */contact_custom_fields f
        UNION ALL SELECT 'companies', f.* FROM /* TEMPLATE: data */company_custom_fields f
        UNION ALL SELECT 'opportunities', f.* FROM /* TEMPLATE: data */opportunity_custom_fields f
        UNION ALL SELECT 'orders', f.* FROM /* TEMPLATE: data */order_custom_fields f
        UNION ALL SELECT 'notes', f.* FROM /* TEMPLATE: data */note_custom_fields f
        UNION ALL SELECT 'tasks', f.* FROM /* TEMPLATE: data */task_custom_fields f
        UNION ALL SELECT 'subscriptions', f.* FROM /* TEMPLATE: data */subscription_custom_fields f
        UNION ALL SELECT 'affiliates', f.* FROM /* TEMPLATE: data */affiliate_custom_fields f
    ) d
    LEFT JOIN /* TEMPLATE: state */custom_field_columns c ON c.account = d.account AND c.entity = d.entity AND c.field_id = d.id;
SELECT /* TEMPLATE: state */refresh_custom_field_view('affiliates');

SELECT /* TEMPLATE: state */document_common_columns();
SELECT /* TEMPLATE: state */count_live_rows('affiliates');
SELECT /* TEMPLATE: state */count_live_rows('affiliate_custom_fields');
SELECT /* TEMPLATE: state */count_live_rows('affiliate_summaries');
SELECT /* TEMPLATE: state */count_live_rows('affiliate_commission_programs');
SELECT /* TEMPLATE: state */count_live_rows('affiliate_redirects');
SELECT /* TEMPLATE: state */count_live_rows('affiliate_referrals');

-- +goose Down
DROP VIEW /* TEMPLATE: data */affiliates_custom;
CREATE OR REPLACE VIEW /* TEMPLATE: data */custom_fields AS
    SELECT d.*, c.column_name
    FROM (
        SELECT 'contacts'::text AS entity, f.* FROM /* TEMPLATE: data */contact_custom_fields f
        UNION ALL SELECT 'companies', f.* FROM /* TEMPLATE: data */company_custom_fields f
        UNION ALL SELECT 'opportunities', f.* FROM /* TEMPLATE: data */opportunity_custom_fields f
        UNION ALL SELECT 'orders', f.* FROM /* TEMPLATE: data */order_custom_fields f
        UNION ALL SELECT 'notes', f.* FROM /* TEMPLATE: data */note_custom_fields f
        UNION ALL SELECT 'tasks', f.* FROM /* TEMPLATE: data */task_custom_fields f
        UNION ALL SELECT 'subscriptions', f.* FROM /* TEMPLATE: data */subscription_custom_fields f
    ) d
    LEFT JOIN /* TEMPLATE: state */custom_field_columns c ON c.account = d.account AND c.entity = d.entity AND c.field_id = d.id;
DELETE FROM /* TEMPLATE: state */custom_field_columns WHERE entity = 'affiliates';
DELETE FROM /* TEMPLATE: state */custom_field_entities WHERE entity = 'affiliates';
DROP TABLE /* TEMPLATE: data */affiliate_referrals;
DROP TABLE /* TEMPLATE: data */affiliate_redirects;
DROP TABLE /* TEMPLATE: data */affiliate_commission_programs;
DROP TABLE /* TEMPLATE: data */affiliate_summaries;
DROP TABLE /* TEMPLATE: data */affiliate_custom_fields;
DROP TABLE /* TEMPLATE: data */affiliates;
