-- keap.freshness: how fresh each stream of each account is, for analysts.

-- +goose Up
CREATE VIEW /* TEMPLATE: data */freshness AS
WITH latest AS (
    SELECT DISTINCT ON (account, stream) account, stream, id, status, started_at, finished_at, resume_at
    FROM /* TEMPLATE: state */sync_runs
    ORDER BY account, stream, started_at DESC, id DESC
), last_ok AS (
    SELECT DISTINCT ON (account, stream) account, stream, id, finished_at,
        rows_inserted, rows_updated, rows_unchanged, rows_deleted
    FROM /* TEMPLATE: state */sync_runs
    WHERE status = 'succeeded'
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
COMMENT ON VIEW /* TEMPLATE: data */freshness IS 'Per account and stream: the last successful sync, its row counts, how long ago it finished (lag), the latest run''s status and the newest update time synced.';
COMMENT ON COLUMN /* TEMPLATE: data */freshness.lag IS 'Time since the last successful sync finished; NULL if none has.';
COMMENT ON COLUMN /* TEMPLATE: data */freshness.latest_status IS 'Status of the most recent run: running, paused_quota, succeeded, failed or cancelled.';
COMMENT ON COLUMN /* TEMPLATE: data */freshness.latest_resume_at IS 'When the most recent run, paused for quota, resumes.';
COMMENT ON COLUMN /* TEMPLATE: data */freshness.high_water_time IS 'Update time of the newest record synced (the checkpoint).';

-- +goose Down
DROP VIEW /* TEMPLATE: data */freshness;
