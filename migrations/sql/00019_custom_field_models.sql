-- The custom-field models of notes, tasks and subscriptions (GET
-- /v2/<entity>/model, one call each per sync), and their named views
-- notes_custom, tasks_custom and subscriptions_custom. Which table holds an
-- entity's definitions is now data (custom_field_entities), not a CASE in
-- refresh_custom_field_view: the next entity's migration inserts a row.

-- +goose Up
CREATE TABLE /* TEMPLATE: state */custom_field_entities (
    entity text PRIMARY KEY CHECK (entity ~ '^[a-z][a-z0-9_]{0,40}$'),
    definitions text NOT NULL UNIQUE CHECK (definitions ~ '^[a-z][a-z0-9_]{0,62}$')
);
COMMENT ON TABLE /* TEMPLATE: state */custom_field_entities IS 'The entities with custom fields: each one''s table in the data schema (contacts), its definitions table there (contact_custom_fields) and so its named view (contacts_custom).';
INSERT INTO /* TEMPLATE: state */custom_field_entities (entity, definitions) VALUES
    ('contacts', 'contact_custom_fields'),
    ('companies', 'company_custom_fields'),
    ('opportunities', 'opportunity_custom_fields'),
    ('orders', 'order_custom_fields'),
    ('notes', 'note_custom_fields'),
    ('tasks', 'task_custom_fields'),
    ('subscriptions', 'subscription_custom_fields');
ALTER TABLE /* TEMPLATE: state */custom_field_columns DROP CONSTRAINT custom_field_columns_entity_check,
    ADD CONSTRAINT custom_field_columns_entity_fkey FOREIGN KEY (entity) REFERENCES /* TEMPLATE: state */custom_field_entities (entity);
COMMENT ON COLUMN /* TEMPLATE: state */custom_field_columns.entity IS 'The entity (custom_field_entities.entity): contacts, companies, opportunities, orders, notes, tasks or subscriptions.';

CREATE TABLE /* TEMPLATE: data */note_custom_fields (
    account text NOT NULL,
    id bigint NOT NULL,
    label text, -- json: label
    field_name text, -- json: field_name
    field_type text, -- json: field_type
    record_type text, -- json: record_type
    group_id bigint, -- json: group_id
    group_name text, -- json: group_name
    default_value text, -- json: default_value
    options jsonb, -- json: options
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */note_custom_fields IS 'Definitions of note custom fields (GET /v2/notes/model). keapsync.refresh_custom_field_view() rebuilds keap.notes_custom from them.';
COMMENT ON COLUMN /* TEMPLATE: data */note_custom_fields.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */note_custom_fields.label IS 'Label shown in Keap.';
COMMENT ON COLUMN /* TEMPLATE: data */note_custom_fields.field_name IS 'Keap field name.';
COMMENT ON COLUMN /* TEMPLATE: data */note_custom_fields.field_type IS 'Keap field type (TEXT, WHOLE_NUMBER, DATE, YES_NO, DROPDOWN, ...), which decides the column type in the named view.';
COMMENT ON COLUMN /* TEMPLATE: data */note_custom_fields.record_type IS 'Keap record type of the field.';
COMMENT ON COLUMN /* TEMPLATE: data */note_custom_fields.group_id IS 'Field group id.';
COMMENT ON COLUMN /* TEMPLATE: data */note_custom_fields.group_name IS 'Field group name.';
COMMENT ON COLUMN /* TEMPLATE: data */note_custom_fields.default_value IS 'Default value.';
COMMENT ON COLUMN /* TEMPLATE: data */note_custom_fields.options IS 'Options of list fields: [{id, label}].';

CREATE TABLE /* TEMPLATE: data */task_custom_fields (
    account text NOT NULL,
    id bigint NOT NULL,
    label text, -- json: label
    field_name text, -- json: field_name
    field_type text, -- json: field_type
    record_type text, -- json: record_type
    group_id bigint, -- json: group_id
    group_name text, -- json: group_name
    default_value text, -- json: default_value
    options jsonb, -- json: options
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */task_custom_fields IS 'Definitions of task custom fields (GET /v2/tasks/model). keapsync.refresh_custom_field_view() rebuilds keap.tasks_custom from them.';
COMMENT ON COLUMN /* TEMPLATE: data */task_custom_fields.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */task_custom_fields.label IS 'Label shown in Keap.';
COMMENT ON COLUMN /* TEMPLATE: data */task_custom_fields.field_name IS 'Keap field name.';
COMMENT ON COLUMN /* TEMPLATE: data */task_custom_fields.field_type IS 'Keap field type (TEXT, WHOLE_NUMBER, DATE, YES_NO, DROPDOWN, ...), which decides the column type in the named view.';
COMMENT ON COLUMN /* TEMPLATE: data */task_custom_fields.record_type IS 'Keap record type of the field.';
COMMENT ON COLUMN /* TEMPLATE: data */task_custom_fields.group_id IS 'Field group id.';
COMMENT ON COLUMN /* TEMPLATE: data */task_custom_fields.group_name IS 'Field group name.';
COMMENT ON COLUMN /* TEMPLATE: data */task_custom_fields.default_value IS 'Default value.';
COMMENT ON COLUMN /* TEMPLATE: data */task_custom_fields.options IS 'Options of list fields: [{id, label}].';

CREATE TABLE /* TEMPLATE: data */subscription_custom_fields (
    account text NOT NULL,
    id bigint NOT NULL,
    label text, -- json: label
    field_name text, -- json: field_name
    field_type text, -- json: field_type
    record_type text, -- json: record_type
    group_id bigint, -- json: group_id
    group_name text, -- json: group_name
    default_value text, -- json: default_value
    options jsonb, -- json: options
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */subscription_custom_fields IS 'Definitions of subscription custom fields (GET /v2/subscriptions/model). keapsync.refresh_custom_field_view() rebuilds keap.subscriptions_custom from them.';
COMMENT ON COLUMN /* TEMPLATE: data */subscription_custom_fields.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */subscription_custom_fields.label IS 'Label shown in Keap.';
COMMENT ON COLUMN /* TEMPLATE: data */subscription_custom_fields.field_name IS 'Keap field name.';
COMMENT ON COLUMN /* TEMPLATE: data */subscription_custom_fields.field_type IS 'Keap field type (TEXT, WHOLE_NUMBER, DATE, YES_NO, DROPDOWN, ...), which decides the column type in the named view.';
COMMENT ON COLUMN /* TEMPLATE: data */subscription_custom_fields.record_type IS 'Keap record type of the field.';
COMMENT ON COLUMN /* TEMPLATE: data */subscription_custom_fields.group_id IS 'Field group id.';
COMMENT ON COLUMN /* TEMPLATE: data */subscription_custom_fields.group_name IS 'Field group name.';
COMMENT ON COLUMN /* TEMPLATE: data */subscription_custom_fields.default_value IS 'Default value.';
COMMENT ON COLUMN /* TEMPLATE: data */subscription_custom_fields.options IS 'Options of list fields: [{id, label}].';

-- refresh_custom_field_view, as migration 00007 made it, but finding the
-- definitions table in custom_field_entities.
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
    SELECT e.definitions INTO v_defs FROM /* TEMPLATE: state */custom_field_entities e WHERE e.entity = p_entity;
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

CREATE OR REPLACE VIEW /* TEMPLATE: data */custom_fields AS
    SELECT d.*, c.column_name
    FROM (
        SELECT 'contacts'::text AS entity, f.* FROM /* TEMPLATE: data */contact_custom_fields f
        UNION ALL SELECT 'companies', f.* FROM /* TEMPLATE: data */company_custom_fields f
        UNION ALL SELECT 'opportunities', f.* FROM /* TEMPLATE: data */opportunity_custom_fields f
        UNION ALL SELECT 'orders', f.* FROM /* TEMPLATE: data */order_custom_fields f
        UNION ALL SELECT 'notes', f.* FROM /* TEMPLATE: data */note_custom_fields f
        UNION ALL SELECT 'tasks', f.* FROM /* TEMPLATE: data */task_custom_fields f
        UNION ALL SELECT 'subscriptions', f.* FROM /* TEMPLATE: data */subscription_custom_fields f
    ) d
    LEFT JOIN /* TEMPLATE: state */custom_field_columns c ON c.account = d.account AND c.entity = d.entity AND c.field_id = d.id;

SELECT /* TEMPLATE: state */refresh_custom_field_view(e) FROM unnest(ARRAY['notes', 'tasks', 'subscriptions']) e;
SELECT /* TEMPLATE: state */document_common_columns();
SELECT /* TEMPLATE: state */count_live_rows('note_custom_fields');
SELECT /* TEMPLATE: state */count_live_rows('task_custom_fields');
SELECT /* TEMPLATE: state */count_live_rows('subscription_custom_fields');

-- +goose Down
-- The lookup table and the function reading it stay, with the first four
-- entities: for them they behave as migration 00007's CASE did.
DROP VIEW /* TEMPLATE: data */notes_custom;
DROP VIEW /* TEMPLATE: data */tasks_custom;
DROP VIEW /* TEMPLATE: data */subscriptions_custom;
DROP VIEW /* TEMPLATE: data */custom_fields;
CREATE VIEW /* TEMPLATE: data */custom_fields AS
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
DELETE FROM /* TEMPLATE: state */custom_field_columns WHERE entity IN ('notes', 'tasks', 'subscriptions');
DELETE FROM /* TEMPLATE: state */custom_field_entities WHERE entity IN ('notes', 'tasks', 'subscriptions');
DROP TABLE /* TEMPLATE: data */subscription_custom_fields;
DROP TABLE /* TEMPLATE: data */task_custom_fields;
DROP TABLE /* TEMPLATE: data */note_custom_fields;
