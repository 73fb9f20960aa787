-- Stable custom-field column names: the first refresh that sees a field
-- assigns it a column name of its named view, and the assignment stands for
-- as long as the field exists, whatever happens to its label or to other
-- fields, so analysts' queries keep working. Names are unique per account
-- and entity, readable ([a-z0-9_], from the field name else the label) and
-- never a reserved column or SQL keyword.

-- +goose Up
CREATE TABLE /* TEMPLATE: state */custom_field_columns (
    account text NOT NULL,
    entity text NOT NULL CHECK (entity IN ('contacts', 'companies', 'opportunities', 'orders')),
    field_id bigint NOT NULL,
    column_name text NOT NULL CHECK (column_name ~ '^[a-z][a-z0-9_]{0,62}$'),
    assigned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account, entity, field_id),
    UNIQUE (account, entity, column_name)
);
COMMENT ON TABLE /* TEMPLATE: state */custom_field_columns IS 'The column of each custom field in its entity''s named view (contacts_custom, ...), assigned when refresh_custom_field_view first sees the field and kept while the field exists: a changed label or a deleted namesake renames nothing. Rows of deleted fields stay, so a field that comes back gets its old column.';
COMMENT ON COLUMN /* TEMPLATE: state */custom_field_columns.entity IS 'contacts, companies, opportunities or orders.';
COMMENT ON COLUMN /* TEMPLATE: state */custom_field_columns.field_id IS 'The custom field''s Keap id.';
COMMENT ON COLUMN /* TEMPLATE: state */custom_field_columns.column_name IS 'Its column in the named view.';

-- cf_base_name is the readable part of a field's column name: the field name,
-- else the label, lowercased, with every run of other characters made one
-- underscore, at most 40 characters (room for a suffix within Postgres's 63),
-- "field" when nothing is left, and "f_" before a leading digit.
-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */cf_base_name(field_name text, label text) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN b ~ '^[0-9]' THEN 'f_' || b ELSE b END
    FROM (
        SELECT coalesce(nullif(trim(BOTH '_' FROM left(trim(BOTH '_' FROM regexp_replace(
            lower(coalesce(nullif(trim(field_name), ''), label, '')), '[^a-z0-9]+', '_', 'g')), 40)), ''), 'field') AS b
    ) s
$fn$;
-- +goose StatementEnd

-- cf_name_free reports whether name can be a new column of account's entity:
-- no other field holds it, it is none of the view's own columns, and it is no
-- SQL keyword that would need quoting.
-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */cf_name_free(p_account text, p_entity text, p_name text) RETURNS boolean
LANGUAGE sql STABLE AS $fn$
    SELECT p_name NOT IN ('account', 'id', '_deleted_at')
        AND NOT EXISTS (SELECT 1 FROM pg_get_keywords() WHERE word = p_name AND catcode IN ('R', 'T'))
        AND NOT EXISTS (SELECT 1 FROM /* TEMPLATE: state */custom_field_columns
            WHERE account = p_account AND entity = p_entity AND column_name = p_name)
$fn$;
-- +goose StatementEnd

-- refresh_custom_field_view rebuilds the named view of one entity ('contacts',
-- 'companies', 'opportunities' or 'orders') from its custom field definitions
-- and returns the number of custom columns. A field seen for the first time
-- (oldest id first) is assigned its column name for good: cf_base_name, or,
-- when that is taken in the account or reserved, the base with "_<field id>"
-- appended. Accounts share a column when their fields have the same name;
-- its type is the fields' type when they agree, else text.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION /* TEMPLATE: state */refresh_custom_field_view(p_entity text) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    v_defs text;
    v_view text := p_entity || '_custom';
    v_select text := '';
    v_names text[] := '{}';
    v_docs text[] := '{}';
    v_base text;
    v_name text;
    v_suffix text;
    v_try integer;
    f record;
    col record;
BEGIN
    v_defs := CASE p_entity
        WHEN 'contacts' THEN 'contact_custom_fields'
        WHEN 'companies' THEN 'company_custom_fields'
        WHEN 'opportunities' THEN 'opportunity_custom_fields'
        WHEN 'orders' THEN 'order_custom_fields'
    END;
    IF v_defs IS NULL THEN
        RAISE EXCEPTION 'keapsync: % has no custom field definitions', p_entity
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Two refreshes of one view at once would race between DROP and CREATE,
    -- and between two assignments of one name.
    PERFORM pg_advisory_xact_lock(hashtext(/* TEMPLATE_LITERAL: data */'keap' || '.' || v_view));

    FOR f IN EXECUTE format($q$
        SELECT d.account, d.id, d.field_name, d.label
        FROM %I.%I d
        WHERE d._deleted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM %I.custom_field_columns a
              WHERE a.account = d.account AND a.entity = %L AND a.field_id = d.id)
        ORDER BY d.account, d.id
    $q$, /* TEMPLATE_LITERAL: data */'keap', v_defs, /* TEMPLATE_LITERAL: state */'keapsync', p_entity)
    LOOP
        v_base := /* TEMPLATE: state */cf_base_name(f.field_name, f.label);
        v_name := v_base;
        v_try := 0;
        WHILE NOT /* TEMPLATE: state */cf_name_free(f.account, p_entity, v_name) LOOP
            v_try := v_try + 1;
            v_suffix := '_' || f.id || CASE WHEN v_try > 1 THEN '_' || v_try ELSE '' END;
            v_name := rtrim(left(v_base, 63 - length(v_suffix)), '_') || v_suffix;
        END LOOP;
        INSERT INTO /* TEMPLATE: state */custom_field_columns (account, entity, field_id, column_name)
        VALUES (f.account, p_entity, f.id, v_name);
    END LOOP;

    FOR col IN EXECUTE format($q$
        WITH named AS (
            SELECT d.account, d.id, coalesce(d.label, '') AS label, coalesce(d.field_type, 'TEXT') AS field_type,
                a.column_name AS name
            FROM %I.%I d
            JOIN %I.custom_field_columns a ON a.account = d.account AND a.entity = %L AND a.field_id = d.id
            WHERE d._deleted_at IS NULL
        )
        SELECT name,
            CASE WHEN count(DISTINCT %I.cf_sql_type(field_type)) = 1 THEN min(%I.cf_sql_type(field_type)) ELSE 'text' END AS sql_type,
            string_agg(format('WHEN %%L THEN %%L', account, id::text), ' ' ORDER BY account) AS whens,
            string_agg(DISTINCT label || ' (' || field_type || ', custom field ' || id || ')', '; ') AS doc
        FROM named
        GROUP BY name
        ORDER BY min(id), name
    $q$, /* TEMPLATE_LITERAL: data */'keap', v_defs, /* TEMPLATE_LITERAL: state */'keapsync', p_entity,
        /* TEMPLATE_LITERAL: state */'keapsync', /* TEMPLATE_LITERAL: state */'keapsync')
    LOOP
        v_select := v_select || CASE col.sql_type
            WHEN 'text' THEN format(', m.v ->> (CASE c.account %s END) AS %I', col.whens, col.name)
            ELSE format(', %I.%I(m.v ->> (CASE c.account %s END)) AS %I',
                /* TEMPLATE_LITERAL: state */'keapsync', 'cf_' || col.sql_type, col.whens, col.name)
        END;
        v_names := v_names || col.name;
        v_docs := v_docs || col.doc;
    END LOOP;

    EXECUTE format('DROP VIEW IF EXISTS %I.%I', /* TEMPLATE_LITERAL: data */'keap', v_view);
    EXECUTE format($q$
        CREATE VIEW %I.%I AS
        SELECT c.account, c.id, c._deleted_at %s
        FROM %I.%I c
        CROSS JOIN LATERAL (
            SELECT coalesce(jsonb_object_agg(e ->> 'id', e -> 'content'), '{}'::jsonb) AS v
            FROM jsonb_array_elements(CASE WHEN jsonb_typeof(c.raw -> 'custom_fields') = 'array'
                THEN c.raw -> 'custom_fields' ELSE '[]'::jsonb END) e
            WHERE e ->> 'id' IS NOT NULL
        ) m
    $q$, /* TEMPLATE_LITERAL: data */'keap', v_view, v_select, /* TEMPLATE_LITERAL: data */'keap', p_entity);
    EXECUTE format('COMMENT ON VIEW %I.%I IS %L', /* TEMPLATE_LITERAL: data */'keap', v_view,
        'Custom fields of ' || p_entity || ' as named, typed columns (values that do not fit the type read as NULL; '
        || 'the raw value is in ' || p_entity || '.raw). Rebuilt by keapsync after each sync of the definitions; '
        || 'a field keeps its column name for as long as it exists.');
    FOR i IN 1 .. coalesce(array_length(v_names, 1), 0) LOOP
        EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', /* TEMPLATE_LITERAL: data */'keap', v_view, v_names[i], v_docs[i]);
    END LOOP;
    RETURN coalesce(array_length(v_names, 1), 0);
END
$fn$;
-- +goose StatementEnd

-- Existing fields get their names now, oldest first, as the views are rebuilt.
SELECT /* TEMPLATE: state */refresh_custom_field_view(e) FROM unnest(ARRAY['contacts', 'companies', 'opportunities', 'orders']) e;

-- Analysts find each field's column in the definitions view.
CREATE OR REPLACE VIEW /* TEMPLATE: data */custom_fields AS
    SELECT d.*, c.column_name
    FROM (
        SELECT 'contacts'::text AS entity, f.* FROM /* TEMPLATE: data */contact_custom_fields f
        UNION ALL SELECT 'companies', f.* FROM /* TEMPLATE: data */company_custom_fields f
        UNION ALL SELECT 'opportunities', f.* FROM /* TEMPLATE: data */opportunity_custom_fields f
        UNION ALL SELECT 'orders', f.* FROM /* TEMPLATE: data */order_custom_fields f
    ) d
    LEFT JOIN /* TEMPLATE: state */custom_field_columns c ON c.account = d.account AND c.entity = d.entity AND c.field_id = d.id;
COMMENT ON VIEW /* TEMPLATE: data */custom_fields IS 'Custom field definitions of every entity, one row per account, entity and field, with the field''s column in the entity''s named view (contacts_custom, ...).';
COMMENT ON COLUMN /* TEMPLATE: data */custom_fields.column_name IS 'The field''s column in its entity''s named view; NULL for a field no refresh has seen yet.';

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION /* TEMPLATE: state */refresh_custom_field_view(p_entity text) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    v_defs text;
    v_view text := p_entity || '_custom';
    v_select text := '';
    v_names text[] := '{}';
    v_docs text[] := '{}';
    col record;
BEGIN
    v_defs := CASE p_entity
        WHEN 'contacts' THEN 'contact_custom_fields'
        WHEN 'companies' THEN 'company_custom_fields'
        WHEN 'opportunities' THEN 'opportunity_custom_fields'
        WHEN 'orders' THEN 'order_custom_fields'
    END;
    IF v_defs IS NULL THEN
        RAISE EXCEPTION 'keapsync: % has no custom field definitions', p_entity
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext(/* TEMPLATE_LITERAL: data */'keap' || '.' || v_view));

    FOR col IN EXECUTE format($q$
        WITH d AS (
            SELECT account, id, coalesce(label, '') AS label, coalesce(field_type, 'TEXT') AS field_type,
                left(coalesce(nullif(trim(BOTH '_' FROM regexp_replace(
                    lower(coalesce(nullif(field_name, ''), label, '')), '[^a-z0-9]+', '_', 'g')), ''), 'field'), 40) AS base
            FROM %I.%I
            WHERE _deleted_at IS NULL
        ), r AS (
            SELECT d.*, row_number() OVER (PARTITION BY account, base ORDER BY id) AS rn FROM d
        ), named AS (
            SELECT account, id, label, field_type,
                CASE WHEN rn > 1 OR base IN ('account', 'id') OR base ~ '^[0-9]' THEN base || '_' || id ELSE base END AS name
            FROM r
        )
        SELECT name,
            CASE WHEN count(DISTINCT %I.cf_sql_type(field_type)) = 1 THEN min(%I.cf_sql_type(field_type)) ELSE 'text' END AS sql_type,
            string_agg(format('WHEN %%L THEN %%L', account, id::text), ' ' ORDER BY account) AS whens,
            string_agg(DISTINCT label || ' (' || field_type || ', custom field ' || id || ')', '; ') AS doc
        FROM named
        GROUP BY name
        ORDER BY min(id), name
    $q$, /* TEMPLATE_LITERAL: data */'keap', v_defs, /* TEMPLATE_LITERAL: state */'keapsync', /* TEMPLATE_LITERAL: state */'keapsync')
    LOOP
        v_select := v_select || CASE col.sql_type
            WHEN 'text' THEN format(', m.v ->> (CASE c.account %s END) AS %I', col.whens, col.name)
            ELSE format(', %I.%I(m.v ->> (CASE c.account %s END)) AS %I',
                /* TEMPLATE_LITERAL: state */'keapsync', 'cf_' || col.sql_type, col.whens, col.name)
        END;
        v_names := v_names || col.name;
        v_docs := v_docs || col.doc;
    END LOOP;

    EXECUTE format('DROP VIEW IF EXISTS %I.%I', /* TEMPLATE_LITERAL: data */'keap', v_view);
    EXECUTE format($q$
        CREATE VIEW %I.%I AS
        SELECT c.account, c.id, c._deleted_at %s
        FROM %I.%I c
        CROSS JOIN LATERAL (
            SELECT coalesce(jsonb_object_agg(e ->> 'id', e -> 'content'), '{}'::jsonb) AS v
            FROM jsonb_array_elements(CASE WHEN jsonb_typeof(c.raw -> 'custom_fields') = 'array'
                THEN c.raw -> 'custom_fields' ELSE '[]'::jsonb END) e
            WHERE e ->> 'id' IS NOT NULL
        ) m
    $q$, /* TEMPLATE_LITERAL: data */'keap', v_view, v_select, /* TEMPLATE_LITERAL: data */'keap', p_entity);
    EXECUTE format('COMMENT ON VIEW %I.%I IS %L', /* TEMPLATE_LITERAL: data */'keap', v_view,
        'Custom fields of ' || p_entity || ' as named, typed columns (values that do not fit the type read as NULL; '
        || 'the raw value is in ' || p_entity || '.raw). Rebuilt by keapsync after each sync of the definitions.');
    FOR i IN 1 .. coalesce(array_length(v_names, 1), 0) LOOP
        EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', /* TEMPLATE_LITERAL: data */'keap', v_view, v_names[i], v_docs[i]);
    END LOOP;
    RETURN coalesce(array_length(v_names, 1), 0);
END
$fn$;
-- +goose StatementEnd
SELECT /* TEMPLATE: state */refresh_custom_field_view(e) FROM unnest(ARRAY['contacts', 'companies', 'opportunities', 'orders']) e;
DROP VIEW /* TEMPLATE: data */custom_fields;
CREATE VIEW /* TEMPLATE: data */custom_fields AS
    SELECT 'contacts'::text AS entity, f.* FROM /* TEMPLATE: data */contact_custom_fields f
    UNION ALL SELECT 'companies', f.* FROM /* TEMPLATE: data */company_custom_fields f
    UNION ALL SELECT 'opportunities', f.* FROM /* TEMPLATE: data */opportunity_custom_fields f
    UNION ALL SELECT 'orders', f.* FROM /* TEMPLATE: data */order_custom_fields f;
COMMENT ON VIEW /* TEMPLATE: data */custom_fields IS 'Custom field definitions of every entity, one row per account, entity and field.';
DROP FUNCTION /* TEMPLATE: state */cf_name_free(text, text, text);
DROP FUNCTION /* TEMPLATE: state */cf_base_name(text, text);
DROP TABLE /* TEMPLATE: state */custom_field_columns;
