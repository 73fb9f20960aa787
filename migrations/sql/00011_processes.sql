-- The processes working jobs on this database (keapsync work, sync --wait),
-- each with the configuration of every account it works. A process that
-- starts with a different configuration of an account another live
-- process works (streams, schemas, key, schedules) is refused: the
-- schedules would come from whichever leads, and a stale key on one would
-- cancel the account's runs on all.

-- +goose Up
CREATE TABLE /* TEMPLATE: state */processes (
    id text PRIMARY KEY,
    host text NOT NULL,
    pid integer NOT NULL,
    accounts jsonb NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE /* TEMPLATE: state */processes IS 'Processes working jobs, with the configuration of each account they work (no secret: the API key is a fingerprint); a row whose heartbeat stopped is forgotten.';
COMMENT ON COLUMN /* TEMPLATE: state */processes.accounts IS 'Per account: streams, data and River schemas, base URL, schedules and a fingerprint of the API key (HMAC-SHA-256 keyed by the key, truncated).';
COMMENT ON COLUMN /* TEMPLATE: state */processes.heartbeat_at IS 'Renewed every 15 seconds while the process runs.';

-- +goose Down
DROP TABLE /* TEMPLATE: state */processes;
