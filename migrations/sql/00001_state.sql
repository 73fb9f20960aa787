-- keapsync's own state: checkpoints, sync runs and the shared quota ledger.
-- Schema names are written as templates that keep the file valid SQL (see
-- package migrations): a comment "TEMPLATE: <schema>" before a name
-- qualifies it with the configured schema, "TEMPLATE_NAME: <schema>" stands
-- before the schema's default name and "TEMPLATE_LITERAL: <schema>" before
-- it as a string literal; both are replaced with the configured name.

-- +goose Up
CREATE SCHEMA IF NOT EXISTS /* TEMPLATE_NAME: state */keapsync;
CREATE SCHEMA IF NOT EXISTS /* TEMPLATE_NAME: data */keap;

CREATE TABLE /* TEMPLATE: state */checkpoints (
    account text NOT NULL,
    stream text NOT NULL,
    mode text NOT NULL,
    high_water_time timestamptz,
    high_water_id bigint,
    page_token text,
    page_offset bigint,
    last_id bigint,
    run_id bigint,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account, stream)
);
COMMENT ON TABLE /* TEMPLATE: state */checkpoints IS 'Where each stream of each account resumes. The high-water mark only moves forward, except through an explicit reset.';
COMMENT ON COLUMN /* TEMPLATE: state */checkpoints.mode IS 'How the stream finds changes: time_filter, update_order, full_scan or single.';
COMMENT ON COLUMN /* TEMPLATE: state */checkpoints.high_water_time IS 'Update time of the newest record fully synced.';
COMMENT ON COLUMN /* TEMPLATE: state */checkpoints.high_water_id IS 'Id of the newest record fully synced, breaking ties between records updated at the same time.';
COMMENT ON COLUMN /* TEMPLATE: state */checkpoints.page_token IS 'Next page token of the run in progress.';
COMMENT ON COLUMN /* TEMPLATE: state */checkpoints.page_offset IS 'Next offset of the run in progress (v1 endpoints).';
COMMENT ON COLUMN /* TEMPLATE: state */checkpoints.last_id IS 'Last id read by the run in progress (keyset pagination).';
COMMENT ON COLUMN /* TEMPLATE: state */checkpoints.run_id IS 'The sync run (sync_runs.id) that last moved the checkpoint.';

CREATE TABLE /* TEMPLATE: state */sync_runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account text NOT NULL,
    stream text NOT NULL,
    trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'retry')),
    status text NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'paused_quota', 'succeeded', 'failed', 'cancelled')),
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    resume_at timestamptz,
    pages bigint NOT NULL DEFAULT 0,
    rows_inserted bigint NOT NULL DEFAULT 0,
    rows_updated bigint NOT NULL DEFAULT 0,
    rows_unchanged bigint NOT NULL DEFAULT 0,
    rows_deleted bigint NOT NULL DEFAULT 0,
    api_calls bigint NOT NULL DEFAULT 0,
    last_error text,
    CHECK ((status = 'paused_quota') = (resume_at IS NOT NULL)),
    CHECK ((status IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL))
);
CREATE INDEX ON /* TEMPLATE: state */sync_runs (account, stream, started_at DESC);
COMMENT ON TABLE /* TEMPLATE: state */sync_runs IS 'One row per sync of one stream of one account, with its counters.';
COMMENT ON COLUMN /* TEMPLATE: state */sync_runs.trigger IS 'What started the run: schedule, manual or retry.';
COMMENT ON COLUMN /* TEMPLATE: state */sync_runs.status IS 'running, paused_quota (waiting for resume_at), succeeded, failed or cancelled.';
COMMENT ON COLUMN /* TEMPLATE: state */sync_runs.resume_at IS 'When a run paused for quota resumes (Keap''s quota reset).';
COMMENT ON COLUMN /* TEMPLATE: state */sync_runs.last_error IS 'Last error of the run, as given by the pipeline, which scrubs secrets before storing it.';

CREATE TABLE /* TEMPLATE: state */quota_ledger (
    account text PRIMARY KEY,
    last_at timestamptz,
    slots timestamptz[] NOT NULL DEFAULT '{}',
    day_count bigint NOT NULL DEFAULT 0,
    day_reset_at timestamptz
);
COMMENT ON TABLE /* TEMPLATE: state */quota_ledger IS 'Keap API calls granted per account, shared by every worker process: change only through quota_reserve and quota_observe.';
COMMENT ON COLUMN /* TEMPLATE: state */quota_ledger.last_at IS 'The last granted call slot.';
COMMENT ON COLUMN /* TEMPLATE: state */quota_ledger.slots IS 'Sorted granted (or reported) call times still inside the rolling window.';
COMMENT ON COLUMN /* TEMPLATE: state */quota_ledger.day_count IS 'Calls counted in the current quota day.';
COMMENT ON COLUMN /* TEMPLATE: state */quota_ledger.day_reset_at IS 'When the current quota day ends; NULL when unknown.';

-- quota_reserve implements QuotaStore.Reserve (docs: quota-semantics) as one
-- atomic call: the account's row lock serializes every reserver of every
-- process.
--
-- Its transaction commits asynchronously (synchronous_commit off): the row
-- lock is held until commit, so waiting for each WAL flush would cap every
-- account at one reservation per disk flush (~2,500/s here, ~10,000/s
-- without). The cost: a Postgres crash (not a keapsync restart, nor a clean
-- Postgres restart) can forget the last fraction of a second of grants. Call
-- it in a transaction of its own, as QuotaLedger does with a pool.
-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */quota_reserve(
    p_account text, p_now timestamptz, p_max_wait interval,
    p_interval interval, p_per_window bigint, p_window interval,
    p_per_day bigint, p_day_reset_at timestamptz,
    OUT ok boolean, OUT at timestamptz, OUT refused_by text)
LANGUAGE plpgsql AS $fn$
DECLARE
    r /* TEMPLATE: state */quota_ledger;
    t timestamptz;
    moved boolean := false;
    n bigint;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    SELECT * INTO r FROM /* TEMPLATE: state */quota_ledger WHERE account = p_account FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO /* TEMPLATE: state */quota_ledger (account) VALUES (p_account) ON CONFLICT (account) DO NOTHING;
        SELECT * INTO r FROM /* TEMPLATE: state */quota_ledger WHERE account = p_account FOR UPDATE;
    END IF;

    -- 1. Day rollover.
    IF r.day_reset_at IS NULL OR p_now >= r.day_reset_at THEN
        r.day_count := 0;
        r.day_reset_at := p_day_reset_at;
    END IF;

    -- 2. Day budget.
    IF r.day_count >= p_per_day THEN
        UPDATE /* TEMPLATE: state */quota_ledger SET day_count = r.day_count, day_reset_at = r.day_reset_at
        WHERE account = p_account;
        ok := false; at := r.day_reset_at; refused_by := 'day';
        RETURN;
    END IF;

    -- 3. Spacing (greatest ignores a NULL last_at).
    t := greatest(p_now, r.last_at + p_interval);

    -- 4. Rolling window.
    IF p_per_window > 0 THEN
        SELECT count(*) INTO n FROM unnest(r.slots) s WHERE s > t - p_window AND s <= t;
        IF n >= p_per_window THEN
            t := r.slots[cardinality(r.slots) - p_per_window + 1] + p_window;
            moved := true;
        END IF;
    END IF;

    -- 5. Too late for the caller: take nothing.
    IF t > p_now + p_max_wait THEN
        UPDATE /* TEMPLATE: state */quota_ledger SET day_count = r.day_count, day_reset_at = r.day_reset_at
        WHERE account = p_account;
        ok := false; at := t; refused_by := CASE WHEN moved THEN 'minute' ELSE 'second' END;
        RETURN;
    END IF;

    -- 6. Grant.
    UPDATE /* TEMPLATE: state */quota_ledger SET
        last_at = t,
        slots = ARRAY(SELECT s FROM unnest(r.slots || t) s WHERE s > p_now - p_window ORDER BY s),
        day_count = r.day_count + 1,
        day_reset_at = r.day_reset_at
    WHERE account = p_account;
    ok := true; at := t; refused_by := '';
END
$fn$;
-- +goose StatementEnd

-- quota_observe implements QuotaStore.Observe: reported usage only raises the
-- counts, committing asynchronously like quota_reserve. At most 100000 reported calls are added to the window log, so a
-- hostile header cannot exhaust memory.
-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */quota_observe(
    p_account text, p_now timestamptz, p_day_used bigint, p_day_reset_at timestamptz,
    p_window_used bigint, p_window interval)
RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    r /* TEMPLATE: state */quota_ledger;
    n bigint;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    SELECT * INTO r FROM /* TEMPLATE: state */quota_ledger WHERE account = p_account FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO /* TEMPLATE: state */quota_ledger (account) VALUES (p_account) ON CONFLICT (account) DO NOTHING;
        SELECT * INTO r FROM /* TEMPLATE: state */quota_ledger WHERE account = p_account FOR UPDATE;
    END IF;

    IF p_day_reset_at IS NOT NULL THEN
        IF r.day_reset_at IS NULL OR p_now >= r.day_reset_at THEN
            r.day_count := 0;
            r.day_reset_at := p_day_reset_at;
        ELSIF p_day_reset_at <> r.day_reset_at THEN
            r.day_reset_at := p_day_reset_at;
        END IF;
    END IF;

    IF p_day_used > r.day_count THEN
        r.day_count := p_day_used;
    END IF;

    IF p_window_used >= 0 AND p_window > interval '0' THEN
        SELECT count(*) INTO n FROM unnest(r.slots) s WHERE s > p_now - p_window AND s <= p_now;
        IF p_window_used > n THEN
            r.slots := ARRAY(
                SELECT s FROM unnest(r.slots || array_fill(p_now, ARRAY[least(p_window_used - n, 100000)::integer])) s
                ORDER BY s);
        END IF;
    END IF;

    UPDATE /* TEMPLATE: state */quota_ledger SET slots = r.slots, day_count = r.day_count, day_reset_at = r.day_reset_at
    WHERE account = p_account;
END
$fn$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION /* TEMPLATE: state */quota_observe(text, timestamptz, bigint, timestamptz, bigint, interval);
DROP FUNCTION /* TEMPLATE: state */quota_reserve(text, timestamptz, interval, interval, bigint, interval, bigint, timestamptz);
DROP TABLE /* TEMPLATE: state */quota_ledger;
DROP TABLE /* TEMPLATE: state */sync_runs;
DROP TABLE /* TEMPLATE: state */checkpoints;
