-- The sync pipeline's state: what kind of run each sync run is, the window
-- it reads, the parallel slices it is read in (each with its own resumable
-- position), and the ids a delete-reconciliation run has listed.

-- +goose Up
ALTER TABLE /* TEMPLATE: state */sync_runs
    ADD COLUMN kind text NOT NULL DEFAULT 'sync' CHECK (kind IN ('sync', 'reconcile')),
    ADD COLUMN backfill boolean NOT NULL DEFAULT false,
    ADD COLUMN window_since timestamptz,
    ADD COLUMN window_until timestamptz,
    ADD COLUMN adopted_from bigint;
COMMENT ON COLUMN /* TEMPLATE: state */sync_runs.kind IS 'sync (copy what changed) or reconcile (list every id to find deletes).';
COMMENT ON COLUMN /* TEMPLATE: state */sync_runs.backfill IS 'The run reads everything (a first sync or a full resync): it leaves part of each day''s quota to incremental runs.';
COMMENT ON COLUMN /* TEMPLATE: state */sync_runs.window_since IS 'Lower bound of the update times the run reads (the checkpoint minus the overlap); NULL reads from the beginning.';
COMMENT ON COLUMN /* TEMPLATE: state */sync_runs.window_until IS 'Upper bound of the update times the run reads: when the run started.';
COMMENT ON COLUMN /* TEMPLATE: state */sync_runs.adopted_from IS 'The failed run whose unfinished slices this run continued from their positions.';

-- A stream of an account never has two active runs of one kind: a slow sync
-- never overlaps the next schedule, and a second request joins the active run.
CREATE UNIQUE INDEX sync_runs_one_active ON /* TEMPLATE: state */sync_runs (account, stream, kind) WHERE finished_at IS NULL;

CREATE TABLE /* TEMPLATE: state */run_slices (
    run_id bigint NOT NULL REFERENCES /* TEMPLATE: state */sync_runs (id) ON DELETE CASCADE,
    slice integer NOT NULL,
    since timestamptz,
    until timestamptz,
    after_id bigint,
    before_id bigint,
    descending boolean NOT NULL DEFAULT false,
    probe_for integer NOT NULL DEFAULT 0,
    page_token text,
    page_offset bigint NOT NULL DEFAULT 0,
    page integer NOT NULL DEFAULT 0,
    done boolean NOT NULL DEFAULT false,
    max_updated timestamptz,
    stop_before timestamptz,
    records bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, slice)
);
COMMENT ON TABLE /* TEMPLATE: state */run_slices IS 'The parallel readers of a sync run, each with the position it resumes from: a crashed or retried page job continues here, never from scratch.';
COMMENT ON COLUMN /* TEMPLATE: state */run_slices.since IS 'Lower bound of the update times this slice reads (inclusive).';
COMMENT ON COLUMN /* TEMPLATE: state */run_slices.until IS 'Upper bound of the update times this slice reads (inclusive).';
COMMENT ON COLUMN /* TEMPLATE: state */run_slices.after_id IS 'Keyset position: ids above this one are left to read (NULL: from the first).';
COMMENT ON COLUMN /* TEMPLATE: state */run_slices.before_id IS 'Ids from this one up belong to another slice (NULL: no upper bound).';
COMMENT ON COLUMN /* TEMPLATE: state */run_slices.descending IS 'The slice reads one page from the top of the id range, to size the split into parallel ranges.';
COMMENT ON COLUMN /* TEMPLATE: state */run_slices.probe_for IS 'For a descending slice: the slice whose remaining range its page sizes.';
COMMENT ON COLUMN /* TEMPLATE: state */run_slices.page_token IS 'Next page token (token-paginated streams).';
COMMENT ON COLUMN /* TEMPLATE: state */run_slices.page_offset IS 'Next offset (v1 streams).';
COMMENT ON COLUMN /* TEMPLATE: state */run_slices.page IS 'Pages committed so far; the pending page job carries this number, so a stale or duplicate job is recognised.';
COMMENT ON COLUMN /* TEMPLATE: state */run_slices.max_updated IS 'Newest update time read by the slice.';
COMMENT ON COLUMN /* TEMPLATE: state */run_slices.stop_before IS 'Streams read newest first stop once their records are older than this.';

CREATE TABLE /* TEMPLATE: state */reconcile_seen (
    run_id bigint NOT NULL REFERENCES /* TEMPLATE: state */sync_runs (id) ON DELETE CASCADE,
    id bigint NOT NULL,
    PRIMARY KEY (run_id, id)
);
COMMENT ON TABLE /* TEMPLATE: state */reconcile_seen IS 'Ids listed so far by a delete-reconciliation run; emptied when the run ends.';

-- Freshness describes syncs: delete-reconciliation runs are left out.
CREATE OR REPLACE VIEW /* TEMPLATE: data */freshness AS
WITH latest AS (
    SELECT DISTINCT ON (account, stream) account, stream, id, status, started_at, finished_at, resume_at
    FROM /* TEMPLATE: state */sync_runs
    WHERE kind = 'sync'
    ORDER BY account, stream, started_at DESC, id DESC
), last_ok AS (
    SELECT DISTINCT ON (account, stream) account, stream, id, finished_at,
        rows_inserted, rows_updated, rows_unchanged, rows_deleted
    FROM /* TEMPLATE: state */sync_runs
    WHERE status = 'succeeded' AND kind = 'sync'
    ORDER BY account, stream, finished_at DESC, id DESC
)
SELECT l.account, l.stream,
    o.finished_at AS last_success_at,
    now() - o.finished_at AS lag,
    o.rows_inserted AS last_success_rows_inserted,
    o.rows_updated AS last_success_rows_updated,
    o.rows_unchanged AS last_success_rows_unchanged,
    o.rows_deleted AS last_success_rows_deleted,
    l.status AS latest_status,
    l.started_at AS latest_started_at,
    l.resume_at AS latest_resume_at,
    c.high_water_time
FROM latest l
LEFT JOIN last_ok o USING (account, stream)
LEFT JOIN /* TEMPLATE: state */checkpoints c USING (account, stream);

-- +goose Down
DROP TABLE /* TEMPLATE: state */reconcile_seen;
DROP TABLE /* TEMPLATE: state */run_slices;
DROP INDEX /* TEMPLATE: state */sync_runs_one_active;
ALTER TABLE /* TEMPLATE: state */sync_runs
    DROP COLUMN adopted_from, DROP COLUMN window_until, DROP COLUMN window_since,
    DROP COLUMN backfill, DROP COLUMN kind;
