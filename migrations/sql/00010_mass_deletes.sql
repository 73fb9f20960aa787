-- A listing that would soft-delete more of a table than the guard allows
-- (worker.max_delete_fraction of its live rows; any share of a small table
-- counts) is not applied on one reading: it is recorded here, and applied
-- only when a later, independent run reads the same (or an operator
-- approves it with keapsync sync --reconcile --allow-mass-delete).

-- +goose Up
CREATE TABLE /* TEMPLATE: state */mass_deletes (
    account text NOT NULL,
    stream text NOT NULL,
    run_id bigint,
    deletes bigint NOT NULL DEFAULT 0,
    seen bigint NOT NULL DEFAULT 0,
    delete_limit bigint NOT NULL DEFAULT 0,
    approved boolean NOT NULL DEFAULT false,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account, stream)
);
COMMENT ON TABLE /* TEMPLATE: state */mass_deletes IS 'Mass deletions withheld until a second reading confirms them or an operator approves them; a row is removed once its stream''s deletes are applied.';
COMMENT ON COLUMN /* TEMPLATE: state */mass_deletes.run_id IS 'The run whose listing would have deleted them (NULL for an approval given before any run).';
COMMENT ON COLUMN /* TEMPLATE: state */mass_deletes.deletes IS 'Rows that listing would have soft-deleted.';
COMMENT ON COLUMN /* TEMPLATE: state */mass_deletes.seen IS 'Ids that listing saw.';
COMMENT ON COLUMN /* TEMPLATE: state */mass_deletes.delete_limit IS 'The most rows the guard let one reading delete.';
COMMENT ON COLUMN /* TEMPLATE: state */mass_deletes.approved IS 'An operator approved the deletion with keapsync sync, flag allow-mass-delete: the next reading applies it.';

-- +goose Down
DROP TABLE /* TEMPLATE: state */mass_deletes;
