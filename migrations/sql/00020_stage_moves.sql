-- Opportunity stage moves (GET /v2/opportunities/stageMoves): the pipeline's
-- history, one row per move of an opportunity from one stage to another.
-- Moves never change: each run reads the newest first (order_by=move_date
-- desc) and stops at the high-water mark, so an incremental run costs one
-- call.

-- +goose Up
CREATE TABLE /* TEMPLATE: data */opportunity_stage_moves (
    account text NOT NULL,
    id bigint NOT NULL,
    opportunity_id bigint, -- json: opportunity_id
    move_time timestamptz, -- json: move_time
    move_from_stage_id bigint, -- json: move_from_stage_id
    move_to_stage_id bigint, -- json: move_to_stage_id
    prev_stage_move_time timestamptz, -- json: prev_stage_move_time
    user_id bigint, -- json: user_id
    created_by bigint, -- json: created_by
    create_time timestamptz, -- json: create_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
CREATE INDEX ON /* TEMPLATE: data */opportunity_stage_moves (account, opportunity_id, move_time);
COMMENT ON TABLE /* TEMPLATE: data */opportunity_stage_moves IS 'Keap opportunity stage moves (GET /v2/opportunities/stageMoves): the pipeline''s history, one row per move; time in a stage is the time to the opportunity''s next move.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stage_moves.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stage_moves.opportunity_id IS 'The opportunity moved: joins keap.opportunities.id.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stage_moves.move_time IS 'When the opportunity moved.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stage_moves.move_from_stage_id IS 'The stage it left: joins keap.opportunity_stages.id; NULL for its first stage.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stage_moves.move_to_stage_id IS 'The stage it entered: joins keap.opportunity_stages.id.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stage_moves.prev_stage_move_time IS 'When the opportunity had moved before (into the stage it left).';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stage_moves.user_id IS 'The user who moved it: joins keap.users.id.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stage_moves.created_by IS 'The user who recorded the move: joins keap.users.id.';
COMMENT ON COLUMN /* TEMPLATE: data */opportunity_stage_moves.create_time IS 'When the move was recorded in Keap.';

SELECT /* TEMPLATE: state */document_common_columns();
SELECT /* TEMPLATE: state */count_live_rows('opportunity_stage_moves');

-- +goose Down
DROP TABLE /* TEMPLATE: data */opportunity_stage_moves;
