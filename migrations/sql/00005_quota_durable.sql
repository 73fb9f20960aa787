-- The quota ledger commits durably and shares the limits Keap reported.
--
-- quota_reserve and quota_observe no longer commit asynchronously: a granted
-- call is a call Keap may count, so it must survive a Postgres crash. And
-- each account's row now keeps the limits Keap last reported (daily limit,
-- per-minute limit, spike spacing), which quota_reserve applies on top of the
-- caller's: a process that has not heard from Keap yet never sends a call
-- another process already knows is doomed. The configured day reserve is
-- passed on its own, to be subtracted from whichever daily limit applies.
-- Both functions follow the semantics documented on keap.QuotaStore,
-- exactly as keap.MemoryQuotaStore does.

-- +goose Up
ALTER TABLE /* TEMPLATE: state */quota_ledger
    ADD COLUMN day_limit bigint,
    ADD COLUMN window_limit bigint,
    ADD COLUMN spike_interval interval;
COMMENT ON COLUMN /* TEMPLATE: state */quota_ledger.day_limit IS 'Daily limit Keap last reported (x-keap-product-quota-limit); NULL until reported.';
COMMENT ON COLUMN /* TEMPLATE: state */quota_ledger.window_limit IS 'Per-minute limit Keap last reported (x-keap-product-throttle-limit); NULL until reported.';
COMMENT ON COLUMN /* TEMPLATE: state */quota_ledger.spike_interval IS 'Spacing implied by the spike limit Keap last reported (x-keap-product-spike-limit); NULL until reported.';

DROP FUNCTION /* TEMPLATE: state */quota_observe(text, timestamptz, bigint, timestamptz, bigint, interval);
DROP FUNCTION /* TEMPLATE: state */quota_reserve(text, timestamptz, interval, interval, bigint, interval, bigint, timestamptz);

-- quota_reserve implements QuotaStore.Reserve for a batch of reservations
-- of one account, as one atomic call: the account's row lock serializes
-- every reserver of every process, and the batch's reservations are taken
-- in order, exactly as the same calls one after the other would be. It
-- commits with the session's synchronous_commit (on by default), and the
-- row lock is held until the commit's WAL flush: batching lets one flush
-- carry every reservation a process has waiting for the account. Call it in
-- a transaction of its own, as QuotaLedger does with a pool. The arrays hold
-- one element per reservation (p_day_reset_at's may be NULL: unknown).
-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */quota_reserve(
    p_account text, p_now timestamptz[], p_max_wait interval[],
    p_interval interval[], p_per_window bigint[], p_window interval[],
    p_per_day bigint[], p_day_reserve bigint[], p_day_share bigint[], p_day_reset_at timestamptz[])
RETURNS TABLE (ok boolean, at timestamptz, refused_by text)
LANGUAGE plpgsql AS $fn$
DECLARE
    r /* TEMPLATE: state */quota_ledger;
    q record;
    t timestamptz;
    moved boolean;
    changed boolean := false;
    n bigint;
    i integer;
    per_day bigint;
    per_window bigint;
    spacing interval;
BEGIN
    SELECT * INTO r FROM /* TEMPLATE: state */quota_ledger WHERE account = p_account FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO /* TEMPLATE: state */quota_ledger (account) VALUES (p_account) ON CONFLICT (account) DO NOTHING;
        SELECT * INTO r FROM /* TEMPLATE: state */quota_ledger WHERE account = p_account FOR UPDATE;
    END IF;

    FOR q IN
        SELECT * FROM unnest(p_now, p_max_wait, p_interval, p_per_window, p_window, p_per_day, p_day_reserve, p_day_share, p_day_reset_at)
            WITH ORDINALITY AS u(now, max_wait, spacing, per_window, win, per_day, day_reserve, day_share, day_reset_at, pos)
        ORDER BY pos
    LOOP
        moved := false;

        -- 0. The tighter of the caller's limits and Keap's reported ones
        -- (least and greatest ignore NULL, a limit never reported).
        per_day := greatest(least(q.per_day, r.day_limit) - q.day_reserve, 0);
        IF q.day_share > 0 AND q.day_share < 1000 THEN
            per_day := per_day * q.day_share / 1000;
        END IF;
        per_window := q.per_window;
        IF per_window > 0 THEN
            per_window := least(per_window, r.window_limit);
        END IF;
        spacing := q.spacing;
        IF spacing > interval '0' THEN
            spacing := greatest(spacing, r.spike_interval);
        END IF;

        -- 1. Day rollover.
        IF r.day_reset_at IS NULL OR q.now >= r.day_reset_at THEN
            r.day_count := 0;
            r.day_reset_at := q.day_reset_at;
            changed := true;
        END IF;

        -- 2. Day budget.
        IF r.day_count >= per_day THEN
            ok := false; at := r.day_reset_at; refused_by := 'day';
            RETURN NEXT;
            CONTINUE;
        END IF;

        -- 3. Spacing (greatest ignores a NULL last_at).
        t := greatest(q.now, r.last_at + spacing);

        -- 4. Rolling window.
        IF per_window > 0 THEN
            SELECT count(*) INTO n FROM unnest(r.slots) s WHERE s > t - q.win AND s <= t;
            IF n >= per_window THEN
                t := r.slots[cardinality(r.slots) - per_window + 1] + q.win;
                moved := true;
            END IF;
        END IF;

        -- 5. Too late for the caller: take nothing.
        IF t > q.now + q.max_wait THEN
            ok := false; at := t; refused_by := CASE WHEN moved THEN 'minute' ELSE 'second' END;
            RETURN NEXT;
            CONTINUE;
        END IF;

        -- 6. Grant: log t (usually the latest slot, so appended without a
        -- sort) and drop the slots at or before now-Window.
        IF cardinality(r.slots) = 0 OR t >= r.slots[cardinality(r.slots)] THEN
            r.slots := r.slots || t;
        ELSE
            r.slots := ARRAY(SELECT s FROM unnest(r.slots || t) s ORDER BY s);
        END IF;
        i := 1;
        WHILE i <= cardinality(r.slots) AND r.slots[i] <= q.now - q.win LOOP
            i := i + 1;
        END LOOP;
        IF i > 1 THEN
            r.slots := r.slots[i:];
        END IF;
        r.last_at := t;
        r.day_count := r.day_count + 1;
        changed := true;
        ok := true; at := t; refused_by := '';
        RETURN NEXT;
    END LOOP;

    IF changed THEN
        UPDATE /* TEMPLATE: state */quota_ledger SET
            last_at = r.last_at, slots = r.slots, day_count = r.day_count, day_reset_at = r.day_reset_at
        WHERE account = p_account;
    END IF;
END
$fn$;
-- +goose StatementEnd

-- quota_observe implements QuotaStore.Observe: it keeps the limits Keap
-- reported (those that are positive), and reported usage only raises the
-- counts. It commits durably like quota_reserve. At most 100000 reported
-- calls are added to the window log, so a hostile header cannot exhaust
-- memory.
-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */quota_observe(
    p_account text, p_now timestamptz,
    p_day_limit bigint, p_day_used bigint, p_day_reset_at timestamptz,
    p_window_limit bigint, p_window_used bigint, p_window interval,
    p_interval interval)
RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    r /* TEMPLATE: state */quota_ledger;
    n bigint;
BEGIN
    SELECT * INTO r FROM /* TEMPLATE: state */quota_ledger WHERE account = p_account FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO /* TEMPLATE: state */quota_ledger (account) VALUES (p_account) ON CONFLICT (account) DO NOTHING;
        SELECT * INTO r FROM /* TEMPLATE: state */quota_ledger WHERE account = p_account FOR UPDATE;
    END IF;

    IF p_day_limit > 0 THEN
        r.day_limit := p_day_limit;
    END IF;
    IF p_window_limit > 0 THEN
        r.window_limit := p_window_limit;
    END IF;
    IF p_interval > interval '0' THEN
        r.spike_interval := p_interval;
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

    UPDATE /* TEMPLATE: state */quota_ledger SET
        slots = r.slots, day_count = r.day_count, day_reset_at = r.day_reset_at,
        day_limit = r.day_limit, window_limit = r.window_limit, spike_interval = r.spike_interval
    WHERE account = p_account;
END
$fn$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION /* TEMPLATE: state */quota_observe(text, timestamptz, bigint, bigint, timestamptz, bigint, bigint, interval, interval);
DROP FUNCTION /* TEMPLATE: state */quota_reserve(text, timestamptz[], interval[], interval[], bigint[], interval[], bigint[], bigint[], bigint[], timestamptz[]);
ALTER TABLE /* TEMPLATE: state */quota_ledger
    DROP COLUMN day_limit,
    DROP COLUMN window_limit,
    DROP COLUMN spike_interval;

-- The functions of migration 00001, as they were.
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
