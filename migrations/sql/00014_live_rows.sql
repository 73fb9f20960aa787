-- Live rows per account and table, kept by the statements that change them,
-- so that status and /metrics read a few rows instead of counting tens of
-- millions every scrape. Statement triggers with transition tables add what
-- each INSERT, UPDATE or DELETE changed, in the same transaction: exact,
-- whatever wrote the rows (a page, a reconciliation, an approved mass delete,
-- an operator's SQL). Each connection adds to a shard of its own, so page
-- commits of one stream running side by side do not wait on one row.

-- +goose Up
CREATE TABLE /* TEMPLATE: state */live_rows (
    account text NOT NULL,
    tbl text NOT NULL,
    shard smallint NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (account, tbl, shard)
);
COMMENT ON TABLE /* TEMPLATE: state */live_rows IS 'Rows not soft-deleted, per account and data table, kept by triggers: the sum over shards is the count.';

-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */live_rows_add() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO /* TEMPLATE: state */live_rows AS l (account, tbl, shard, n)
        SELECT account, TG_TABLE_NAME, pg_backend_pid() % 16, count(*)
        FROM new_rows WHERE _deleted_at IS NULL GROUP BY account
        ON CONFLICT (account, tbl, shard) DO UPDATE SET n = l.n + excluded.n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO /* TEMPLATE: state */live_rows AS l (account, tbl, shard, n)
        SELECT account, TG_TABLE_NAME, pg_backend_pid() % 16, sum(d)
        FROM (SELECT account, 1 AS d FROM new_rows WHERE _deleted_at IS NULL
              UNION ALL
              SELECT account, -1 FROM old_rows WHERE _deleted_at IS NULL) c
        GROUP BY account HAVING sum(d) <> 0
        ON CONFLICT (account, tbl, shard) DO UPDATE SET n = l.n + excluded.n;
    ELSE
        INSERT INTO /* TEMPLATE: state */live_rows AS l (account, tbl, shard, n)
        SELECT account, TG_TABLE_NAME, pg_backend_pid() % 16, -count(*)
        FROM old_rows WHERE _deleted_at IS NULL GROUP BY account
        ON CONFLICT (account, tbl, shard) DO UPDATE SET n = l.n + excluded.n;
    END IF;
    RETURN NULL;
END
$fn$;
-- +goose StatementEnd

-- count_live_rows attaches the three triggers to a data table and counts
-- the rows it already holds; a migration adding a stream's table calls it.
-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */count_live_rows(t text) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    s text := /* TEMPLATE_LITERAL: data */'keap';
BEGIN
    EXECUTE format('CREATE TRIGGER live_rows_insert AFTER INSERT ON %I.%I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %s()', s, t, /* TEMPLATE_LITERAL: state */'keapsync' || '.live_rows_add');
    EXECUTE format('CREATE TRIGGER live_rows_update AFTER UPDATE ON %I.%I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %s()', s, t, /* TEMPLATE_LITERAL: state */'keapsync' || '.live_rows_add');
    EXECUTE format('CREATE TRIGGER live_rows_delete AFTER DELETE ON %I.%I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION %s()', s, t, /* TEMPLATE_LITERAL: state */'keapsync' || '.live_rows_add');
    EXECUTE format('INSERT INTO %s (account, tbl, shard, n) SELECT account, %L, 0, count(*) FROM %I.%I WHERE _deleted_at IS NULL GROUP BY account',
        /* TEMPLATE_LITERAL: state */'keapsync' || '.live_rows', t, s, t);
END
$fn$;
-- +goose StatementEnd

-- Every table (not view) with soft deletes and no parent (not a child
-- table) is a stream's.
-- +goose StatementBegin
DO $do$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.table_name FROM information_schema.columns c
        JOIN information_schema.tables b ON b.table_schema = c.table_schema AND b.table_name = c.table_name AND b.table_type = 'BASE TABLE'
        WHERE c.table_schema = /* TEMPLATE_LITERAL: data */'keap' AND c.column_name = '_deleted_at'
          AND NOT EXISTS (SELECT FROM information_schema.columns p
                          WHERE p.table_schema = c.table_schema AND p.table_name = c.table_name AND p.column_name = 'position')
        ORDER BY 1
    LOOP
        PERFORM /* TEMPLATE: state */count_live_rows(t);
    END LOOP;
END
$do$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $do$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT DISTINCT event_object_table FROM information_schema.triggers
        WHERE event_object_schema = /* TEMPLATE_LITERAL: data */'keap' AND trigger_name LIKE 'live_rows_%'
    LOOP
        EXECUTE format('DROP TRIGGER live_rows_insert ON %I.%I', /* TEMPLATE_LITERAL: data */'keap', t);
        EXECUTE format('DROP TRIGGER live_rows_update ON %I.%I', /* TEMPLATE_LITERAL: data */'keap', t);
        EXECUTE format('DROP TRIGGER live_rows_delete ON %I.%I', /* TEMPLATE_LITERAL: data */'keap', t);
    END LOOP;
END
$do$;
-- +goose StatementEnd
DROP FUNCTION /* TEMPLATE: state */count_live_rows(text);
DROP FUNCTION /* TEMPLATE: state */live_rows_add();
DROP TABLE /* TEMPLATE: state */live_rows;
