-- Shipping methods (GET /v2/shipping): one call without paging, read whole
-- each run (which also finds deletes). Their settings, an object the spec
-- leaves open, stay in raw.

-- +goose Up
CREATE TABLE /* TEMPLATE: data */shipping_methods (
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name
    description text, -- json: description
    type text, -- json: type
    status text, -- json: status
    international boolean, -- json: international
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */shipping_methods IS 'Keap shipping methods (GET /v2/shipping), read whole in one call.';
COMMENT ON COLUMN /* TEMPLATE: data */shipping_methods.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */shipping_methods.name IS 'Method name.';
COMMENT ON COLUMN /* TEMPLATE: data */shipping_methods.description IS 'Description.';
COMMENT ON COLUMN /* TEMPLATE: data */shipping_methods.type IS 'How the price is set (the spec leaves the values open).';
COMMENT ON COLUMN /* TEMPLATE: data */shipping_methods.status IS 'Whether the method is offered.';
COMMENT ON COLUMN /* TEMPLATE: data */shipping_methods.international IS 'Whether it ships abroad.';

SELECT /* TEMPLATE: state */document_common_columns();
SELECT /* TEMPLATE: state */count_live_rows('shipping_methods');

-- +goose Down
DROP TABLE /* TEMPLATE: data */shipping_methods;
