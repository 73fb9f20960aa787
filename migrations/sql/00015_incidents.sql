-- Incidents an operator is told of (a failed run, a discarded job, a
-- rejected key, a stream stale past its schedule): one row from the failure
-- until its recovery, so each is notified once when it opens and once when
-- it recovers, however many runs fail meanwhile.

-- +goose Up
CREATE TABLE /* TEMPLATE: state */incidents (
    id bigserial PRIMARY KEY,
    account text NOT NULL,
    stream text NOT NULL DEFAULT '',
    kind text NOT NULL,
    run_kind text NOT NULL DEFAULT '',
    detail text NOT NULL DEFAULT '',
    run_id bigint,
    opened_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz
);
CREATE UNIQUE INDEX incidents_open ON /* TEMPLATE: state */incidents (account, stream, kind, run_kind) WHERE resolved_at IS NULL;
COMMENT ON TABLE /* TEMPLATE: state */incidents IS 'What went wrong, from the failure to its recovery: at most one open per account, stream, kind and run kind.';
COMMENT ON COLUMN /* TEMPLATE: state */incidents.kind IS 'run_failed, job_discarded, key_rejected or stale.';
COMMENT ON COLUMN /* TEMPLATE: state */incidents.stream IS 'The stream, empty for the whole account (a rejected key).';
COMMENT ON COLUMN /* TEMPLATE: state */incidents.run_kind IS 'sync or reconcile for a failed run; empty otherwise.';
COMMENT ON COLUMN /* TEMPLATE: state */incidents.detail IS 'What happened, as the run''s last error says it (never a secret).';
COMMENT ON COLUMN /* TEMPLATE: state */incidents.resolved_at IS 'When it recovered (a later run succeeded, the stream is fresh again); NULL while open.';

-- +goose Down
DROP TABLE /* TEMPLATE: state */incidents;
