-- Lead sources (GET /v2/leadSources) and their categories (GET
-- /v2/leadSourceCategories): where contacts come from, for revenue by
-- lead source. Both are small and read whole each run (which also finds
-- deletes): neither endpoint filters on update time.

-- +goose Up
CREATE TABLE /* TEMPLATE: data */lead_source_categories (
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name
    description text, -- json: description
    create_time timestamptz, -- json: create_time
    update_time timestamptz, -- json: update_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */lead_source_categories IS 'Keap lead source categories (GET /v2/leadSourceCategories); lead_sources.lead_source_category_id joins id.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_source_categories.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_source_categories.name IS 'Category name.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_source_categories.description IS 'Category description.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_source_categories.create_time IS 'When the category was created in Keap.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_source_categories.update_time IS 'When the category was last updated in Keap.';

CREATE TABLE /* TEMPLATE: data */lead_sources (
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name
    description text, -- json: description
    vendor text, -- json: vendor
    medium text, -- json: medium
    message text, -- json: message
    status text, -- json: status
    lead_source_category_id bigint, -- json: lead_source_category_id
    start_time timestamptz, -- json: start_time
    end_time timestamptz, -- json: end_time
    create_time timestamptz, -- json: create_time
    update_time timestamptz, -- json: update_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
CREATE INDEX ON /* TEMPLATE: data */lead_sources (account, lead_source_category_id);
COMMENT ON TABLE /* TEMPLATE: data */lead_sources IS 'Keap lead sources (GET /v2/leadSources): where contacts come from; contacts.leadsource_id joins id.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_sources.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_sources.name IS 'Lead source name.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_sources.description IS 'Lead source description.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_sources.vendor IS 'Vendor of the lead source (the ad network, the partner).';
COMMENT ON COLUMN /* TEMPLATE: data */lead_sources.medium IS 'Medium of the lead source (cpc, email, event, ...).';
COMMENT ON COLUMN /* TEMPLATE: data */lead_sources.message IS 'Message or content of the lead source.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_sources.status IS 'ACTIVE or INACTIVE.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_sources.lead_source_category_id IS 'The category: joins keap.lead_source_categories.id.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_sources.start_time IS 'When the lead source started.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_sources.end_time IS 'When the lead source ends or ended.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_sources.create_time IS 'When the lead source was created in Keap.';
COMMENT ON COLUMN /* TEMPLATE: data */lead_sources.update_time IS 'When the lead source was last updated in Keap.';

SELECT /* TEMPLATE: state */document_common_columns();
SELECT /* TEMPLATE: state */count_live_rows('lead_source_categories');
SELECT /* TEMPLATE: state */count_live_rows('lead_sources');

-- +goose Down
DROP TABLE /* TEMPLATE: data */lead_sources;
DROP TABLE /* TEMPLATE: data */lead_source_categories;
