-- The quota ledger keeps one clock: the database's.
--
-- quota_reserve no longer takes each caller's clock reading. It takes the
-- time once, from the database (clock_timestamp(), after the account's row
-- is locked), for every reservation of the batch, and returns it, so each
-- process can convert the slots it is granted to its own clock with the
-- offset it measures. A process whose clock is an hour ahead can no longer
-- take slots an hour ahead of everyone else, nor roll the day over early.
-- (p_now stands in for the database's clock in tests on a fake clock;
-- production passes NULL.)
--
-- The day rolls over only a margin after its reset, so that the first call
-- of a new day leaves once Keap's reset has surely passed, and no slot is
-- granted within the margin before it either (such a call could reach Keap
-- in the next day, which the ledger has not started counting); the next
-- reset is computed here, on the same clock. What Keap reported (day limit,
-- per-minute limit, spike spacing) holds for the day it was reported and is
-- forgotten at the rollover: a hostile or mistaken header can cost at most
-- the rest of one day. quota_observe ignores the day fields of a reading
-- whose reset has already passed (a response in flight across the reset).
-- Both functions follow the semantics documented on keap.QuotaStore,
-- exactly as keap.MemoryQuotaStore does.

-- +goose Up
DROP FUNCTION /* TEMPLATE: state */quota_observe(text, timestamptz, bigint, bigint, timestamptz, bigint, bigint, interval, interval);
DROP FUNCTION /* TEMPLATE: state */quota_reserve(text, timestamptz[], interval[], interval[], bigint[], interval[], bigint[], bigint[], bigint[], timestamptz[]);

-- quota_next_reset is the first day boundary after p_now: the next 00:00
-- UTC, or with p_day_length set (tests compress days), the next multiple of
-- p_day_length since the Unix epoch.
-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */quota_next_reset(p_now timestamptz, p_day_length interval)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE
        WHEN p_day_length > interval '0' THEN
            to_timestamp((floor(extract(epoch FROM p_now) / extract(epoch FROM p_day_length)) + 1) * extract(epoch FROM p_day_length))
        ELSE (date_trunc('day', p_now AT TIME ZONE 'UTC') + interval '1 day') AT TIME ZONE 'UTC'
    END
$fn$;
-- +goose StatementEnd

-- quota_reserve implements QuotaStore.Reserve for a batch of reservations
-- of one account, as one atomic call: the account's row lock serializes
-- every reserver of every process, and the batch's reservations are taken
-- in order, exactly as the same calls one after the other would be, at the
-- database's time (returned as db_now). It commits with the session's
-- synchronous_commit (on by default), and the row lock is held until the
-- commit's WAL flush: batching lets one flush carry every reservation a
-- process has waiting for the account. Call it in a transaction of its own,
-- as QuotaLedger does with a pool. The arrays hold one element per
-- reservation.
-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */quota_reserve(
    p_account text, p_now timestamptz, p_max_wait interval[],
    p_interval interval[], p_per_window bigint[], p_window interval[],
    p_per_day bigint[], p_day_reserve bigint[], p_day_share bigint[],
    p_day_length interval[], p_day_margin interval[])
RETURNS TABLE (ok boolean, at timestamptz, refused_by text, db_now timestamptz)
LANGUAGE plpgsql AS $fn$
DECLARE
    r /* TEMPLATE: state */quota_ledger;
    q record;
    v_now timestamptz;
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
    -- The time, once the row is ours: no reservation of another process
    -- can come between it and the slots granted below.
    v_now := coalesce(p_now, clock_timestamp());
    db_now := v_now;

    FOR q IN
        SELECT * FROM unnest(p_max_wait, p_interval, p_per_window, p_window, p_per_day, p_day_reserve, p_day_share, p_day_length, p_day_margin)
            WITH ORDINALITY AS u(max_wait, spacing, per_window, win, per_day, day_reserve, day_share, day_length, day_margin, pos)
        ORDER BY pos
    LOOP
        moved := false;

        -- 1. Day rollover, a margin after the reset; what Keap reported
        -- held for the day that ended.
        IF r.day_reset_at IS NULL THEN
            r.day_reset_at := /* TEMPLATE: state */quota_next_reset(v_now, q.day_length);
            changed := true;
        ELSIF v_now >= r.day_reset_at + q.day_margin THEN
            r.day_count := 0;
            r.day_limit := NULL;
            r.window_limit := NULL;
            r.spike_interval := NULL;
            r.day_reset_at := /* TEMPLATE: state */quota_next_reset(v_now, q.day_length);
            changed := true;
        END IF;

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

        -- 2. Day budget.
        IF r.day_count >= per_day THEN
            ok := false; at := r.day_reset_at + q.day_margin; refused_by := 'day';
            RETURN NEXT;
            CONTINUE;
        END IF;

        -- 3. Spacing (greatest ignores a NULL last_at).
        t := greatest(v_now, r.last_at + spacing);

        -- 4. Rolling window.
        IF per_window > 0 THEN
            SELECT count(*) INTO n FROM unnest(r.slots) s WHERE s > t - q.win AND s <= t;
            IF n >= per_window THEN
                t := r.slots[cardinality(r.slots) - per_window + 1] + q.win;
                moved := true;
            END IF;
        END IF;

        -- 5. So close to the reset that the call could reach Keap on
        -- either side of it (or past it, in a day not counted yet): not
        -- before the margin after it. Else, too late for the caller: take
        -- nothing either way.
        IF t >= r.day_reset_at - q.day_margin THEN
            ok := false; at := r.day_reset_at + q.day_margin; refused_by := 'day';
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF t > v_now + q.max_wait THEN
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
        WHILE i <= cardinality(r.slots) AND r.slots[i] <= v_now - q.win LOOP
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
            last_at = r.last_at, slots = r.slots, day_count = r.day_count, day_reset_at = r.day_reset_at,
            day_limit = r.day_limit, window_limit = r.window_limit, spike_interval = r.spike_interval
        WHERE account = p_account;
    END IF;
END
$fn$;
-- +goose StatementEnd

-- quota_observe implements QuotaStore.Observe at p_now, on the database's
-- clock (the caller converts when the response arrived): it keeps the
-- limits Keap reported for the current day (those that are positive), and
-- reported usage only raises the counts. It commits durably like
-- quota_reserve. At most 100000 reported calls are added to the window log,
-- so a hostile header cannot exhaust memory.
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

    IF p_day_reset_at IS NOT NULL THEN
        IF p_day_reset_at <= p_now THEN
            -- A reading of a day that is over: nothing in it is about today.
            p_day_used := -1;
            p_day_limit := -1;
        ELSIF r.day_reset_at IS NULL OR p_now >= r.day_reset_at THEN
            IF r.day_reset_at IS NOT NULL THEN
                r.day_limit := NULL;
                r.window_limit := NULL;
                r.spike_interval := NULL;
            END IF;
            r.day_count := 0;
            r.day_reset_at := p_day_reset_at;
        ELSIF p_day_reset_at <> r.day_reset_at THEN
            r.day_reset_at := p_day_reset_at;
        END IF;
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

    -- Calls granted after now had not left when Keap answered: its count
    -- cannot hold them, and they are spent too.
    IF p_day_used >= 0 THEN
        p_day_used := p_day_used + (SELECT count(*) FROM unnest(r.slots) s WHERE s > p_now);
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
DROP FUNCTION /* TEMPLATE: state */quota_reserve(text, timestamptz, interval[], interval[], bigint[], interval[], bigint[], bigint[], bigint[], interval[], interval[]);
DROP FUNCTION /* TEMPLATE: state */quota_next_reset(timestamptz, interval);

-- The functions of migration 00005, as they were.
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
