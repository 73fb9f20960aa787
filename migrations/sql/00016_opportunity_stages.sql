-- Opportunity stages (GET /v2/opportunities/stages): the sales pipeline's
-- stages with their order, target days and win probability, read whole in
-- one call; and each stage's checklist items.

-- +goose Up
CREATE TABLE /* TEMPLATE: data */opportunity_stages (
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name
    stage_order integer, -- json: order
    target_number_days integer, -- json: target_number_days
    probability integer, -- json: probability
    created_time timestamptz, -- json: created_time
    updated_time timestamptz, -- json: updated_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */opportunity_stages IS 'Keap opportunity stages (GET /v2/opportunities/stages): the pipeline, one row per stage; opportunities.stage_id joins id.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stages.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stages.name IS 'Stage name.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stages.stage_order IS 'The stage''s place in the pipeline, from 1.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stages.target_number_days IS 'Days an opportunity is meant to stay in the stage.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stages.probability IS 'Win probability of an opportunity in the stage, 0 to 100.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stages.created_time IS 'When the stage was created in Keap.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stages.updated_time IS 'When the stage was last updated in Keap.';

CREATE TABLE /* TEMPLATE: data */opportunity_stage_checklist_items ( -- json: list checklist_items
    account text NOT NULL,
    opportunity_stage_id bigint NOT NULL,
    position integer NOT NULL,
    item_id bigint, -- json: id
    description text, -- json: description
    required boolean, -- json: required
    item_order integer, -- json: order
    PRIMARY KEY (account, opportunity_stage_id, position)
);
COMMENT ON TABLE /* TEMPLATE: data */opportunity_stage_checklist_items IS 'Checklist items of each stage (checklist_items of the stage record). Rewritten whenever the parent row changes.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stage_checklist_items.opportunity_stage_id IS 'The parent record: joins keap.opportunity_stages.id.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stage_checklist_items.item_id IS 'Checklist item id.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stage_checklist_items.description IS 'What the item asks for.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stage_checklist_items.required IS 'Whether the item is required.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stage_checklist_items.item_order IS 'Display order of the item.';

-- document_common_columns comments the columns every data table shares
-- (account, position and the metadata columns), as migration 00002 did for
-- its tables, on every table (not view) that has them: a migration adding a table
-- calls it, as it calls count_live_rows.
-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */document_common_columns() RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT col.table_name, col.column_name FROM information_schema.columns col
        JOIN information_schema.tables tab ON tab.table_schema = col.table_schema AND tab.table_name = col.table_name AND tab.table_type = 'BASE TABLE'
        WHERE col.table_schema = /* TEMPLATE_LITERAL: data */'keap'
          AND col.column_name IN ('account', 'position', 'raw', '_problems', '_hash', '_synced_at', '_sync_run_id', '_deleted_at')
    LOOP
        EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', /* TEMPLATE_LITERAL: data */'keap', c.table_name, c.column_name,
            CASE c.column_name
                WHEN 'account' THEN 'The configured name of the Keap account the row comes from.'
                WHEN 'position' THEN 'Position of the entry in the parent record''s list, from 0.'
                WHEN 'raw' THEN 'The full record exactly as Keap returned it; every field, typed or not.'
                WHEN '_problems' THEN 'Fields that could not be typed: [{field, reason}]. Their typed column is NULL and the value is in raw.'
                WHEN '_hash' THEN 'Hash of raw: a page rewrites only rows whose hash changed.'
                WHEN '_synced_at' THEN 'When keapsync last wrote a change to this row.'
                WHEN '_sync_run_id' THEN 'The sync run (sync_runs.id in keapsync''s state schema) that last wrote a change to this row.'
                WHEN '_deleted_at' THEN 'When keapsync found the record deleted in Keap (soft delete); NULL while it exists.'
            END);
    END LOOP;
END
$fn$;
-- +goose StatementEnd

SELECT /* TEMPLATE: state */document_common_columns();
SELECT /* TEMPLATE: state */count_live_rows('opportunity_stages');

-- +goose Down
DROP FUNCTION /* TEMPLATE: state */document_common_columns();
DROP TABLE /* TEMPLATE: data */opportunity_stage_checklist_items;
DROP TABLE /* TEMPLATE: data */opportunity_stages;
