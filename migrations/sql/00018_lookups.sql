-- Lookup lists read whole in one call each: product categories (GET
-- /v2/productCategories, with their tree) and contact link types (GET
-- /v2/contacts/links/types). Neither has an update time: a full read each
-- run finds every change and every delete.

-- +goose Up
CREATE TABLE /* TEMPLATE: data */product_categories (
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name
    display_order_index integer, -- json: display_order_index
    parent_category_id bigint, -- json: parent_category_id
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */product_categories IS 'Keap product categories (GET /v2/productCategories), a tree: parent_category_id joins id.';
COMMENT ON COLUMN /* TEMPLATE: data */product_categories.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */product_categories.name IS 'Category name.';
COMMENT ON COLUMN /* TEMPLATE: data */product_categories.display_order_index IS 'Display order among its siblings.';
COMMENT ON COLUMN /* TEMPLATE: data */product_categories.parent_category_id IS 'The parent category: joins keap.product_categories.id; NULL for a root.';

CREATE TABLE /* TEMPLATE: data */contact_link_types (
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name
    max_links bigint, -- json: max_links
    create_time timestamptz, -- json: create_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */contact_link_types IS 'Keap contact link types (GET /v2/contacts/links/types): the kinds of link between two contacts (spouse, assistant, ...).';
COMMENT ON COLUMN /* TEMPLATE: data */contact_link_types.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_link_types.name IS 'Link type name.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_link_types.max_links IS 'How many links of this type a contact may have.';
COMMENT ON COLUMN /* TEMPLATE: data */contact_link_types.create_time IS 'When the link type was created in Keap.';

SELECT /* TEMPLATE: state */document_common_columns();
SELECT /* TEMPLATE: state */count_live_rows('product_categories');
SELECT /* TEMPLATE: state */count_live_rows('contact_link_types');

-- +goose Down
DROP TABLE /* TEMPLATE: data */contact_link_types;
DROP TABLE /* TEMPLATE: data */product_categories;
