-- A re-read of a time range (keapsync sync --since T [--until T]) reads
-- what changed in that range again without moving the checkpoint: a range
-- in the past says nothing about what changed after it.

-- +goose Up
ALTER TABLE /* TEMPLATE: state */sync_runs ADD COLUMN reread boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN /* TEMPLATE: state */sync_runs.reread IS 'The run re-reads the time range window_since to window_until on an operator''s request; it does not move the checkpoint.';

-- +goose Down
ALTER TABLE /* TEMPLATE: state */sync_runs DROP COLUMN reread;
