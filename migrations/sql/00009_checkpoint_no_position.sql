-- A run's page position lives in its slices (run_slices), which the
-- pipeline reads back to resume; the checkpoint's copy of it (page_token,
-- page_offset, last_id), written on every page and never read, is dropped.
-- A checkpoint is now only where a stream resumes: its high-water mark.

-- +goose Up
ALTER TABLE /* TEMPLATE: state */checkpoints
    DROP COLUMN page_token,
    DROP COLUMN page_offset,
    DROP COLUMN last_id;

-- +goose Down
ALTER TABLE /* TEMPLATE: state */checkpoints
    ADD COLUMN page_token text,
    ADD COLUMN page_offset bigint,
    ADD COLUMN last_id bigint;
COMMENT ON COLUMN /* TEMPLATE: state */checkpoints.page_token IS 'Next page token of the run in progress.';
COMMENT ON COLUMN /* TEMPLATE: state */checkpoints.page_offset IS 'Next offset of the run in progress (v1 endpoints).';
COMMENT ON COLUMN /* TEMPLATE: state */checkpoints.last_id IS 'Last id read by the run in progress (keyset pagination).';
