-- Custom fields as named, typed columns: one view per entity with custom
-- fields (contacts_custom, companies_custom, opportunities_custom,
-- orders_custom), rebuilt by refresh_custom_field_view from the definitions
-- tables. Values that do not fit their field's type read as NULL (the raw
-- value stays in the entity's raw column); a view never fails on an odd value.

-- +goose Up

-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */cf_sql_type(field_type text) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE upper(coalesce(field_type, ''))
        WHEN 'WHOLE_NUMBER' THEN 'bigint'
        WHEN 'YEAR' THEN 'bigint'
        WHEN 'DECIMAL_NUMBER' THEN 'numeric'
        WHEN 'CURRENCY' THEN 'numeric'
        WHEN 'PERCENT' THEN 'numeric'
        WHEN 'DATE' THEN 'date'
        WHEN 'DATE_TIME' THEN 'timestamptz'
        WHEN 'YES_NO' THEN 'boolean'
        ELSE 'text'
    END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */cf_bigint(v text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN v ~ '^\s*[-+]?\d{1,18}\s*$' THEN trim(v)::bigint END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */cf_numeric(v text) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN v ~ '^\s*[-+]?(\d{1,100}(\.\d{0,100})?|\.\d{1,100})\s*$' THEN trim(v)::numeric END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */cf_boolean(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE lower(trim(v))
        WHEN 'true' THEN true WHEN 'yes' THEN true WHEN '1' THEN true WHEN 'y' THEN true
        WHEN 'false' THEN false WHEN 'no' THEN false WHEN '0' THEN false WHEN 'n' THEN false
    END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */cf_date(v text) RETURNS date
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
    IF v IS NULL OR v !~ '^\s*\d{4}-\d{2}-\d{2}' THEN
        RETURN NULL;
    END IF;
    RETURN left(trim(v), 10)::date;
EXCEPTION WHEN data_exception THEN
    RETURN NULL;
END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */cf_timestamptz(v text) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
    IF v IS NULL OR v !~ '^\s*\d{4}-\d{2}-\d{2}' THEN
        RETURN NULL;
    END IF;
    RETURN trim(v)::timestamptz;
EXCEPTION WHEN data_exception THEN
    RETURN NULL;
END
$fn$;
-- +goose StatementEnd

-- refresh_custom_field_view rebuilds the named view of one entity ('contacts',
-- 'companies', 'opportunities' or 'orders') from its custom field definitions
-- and returns the number of custom columns. Column names come from the
-- field name (else the label), lowercased to [a-z0-9_]; a name taken twice in
-- one account gets the field id appended. Accounts share a column when their
-- fields share a name; its type is the fields' type when they agree, else text.
-- +goose StatementBegin
CREATE FUNCTION /* TEMPLATE: state */refresh_custom_field_view(p_entity text) RETURNS integer
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
    -- Two refreshes of one view at once would race between DROP and CREATE.
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

CREATE VIEW /* TEMPLATE: data */custom_fields AS
    SELECT 'contacts'::text AS entity, f.* FROM /* TEMPLATE: data */contact_custom_fields f
    UNION ALL SELECT 'companies', f.* FROM /* TEMPLATE: data */company_custom_fields f
    UNION ALL SELECT 'opportunities', f.* FROM /* TEMPLATE: data */opportunity_custom_fields f
    UNION ALL SELECT 'orders', f.* FROM /* TEMPLATE: data */order_custom_fields f;
COMMENT ON VIEW /* TEMPLATE: data */custom_fields IS 'Custom field definitions of every entity, one row per account, entity and field.';

-- +goose Down
DROP VIEW /* TEMPLATE: data */custom_fields;
DROP VIEW IF EXISTS /* TEMPLATE: data */contacts_custom;
DROP VIEW IF EXISTS /* TEMPLATE: data */companies_custom;
DROP VIEW IF EXISTS /* TEMPLATE: data */opportunities_custom;
DROP VIEW IF EXISTS /* TEMPLATE: data */orders_custom;
DROP FUNCTION /* TEMPLATE: state */refresh_custom_field_view(text);
DROP FUNCTION /* TEMPLATE: state */cf_timestamptz(text);
DROP FUNCTION /* TEMPLATE: state */cf_date(text);
DROP FUNCTION /* TEMPLATE: state */cf_boolean(text);
DROP FUNCTION /* TEMPLATE: state */cf_numeric(text);
DROP FUNCTION /* TEMPLATE: state */cf_bigint(text);
DROP FUNCTION /* TEMPLATE: state */cf_sql_type(text);
