-- Lookups read whole each run (one call each for most accounts): user
-- groups and automation categories (one call, no paging), automations
-- (pages of 25), merchant accounts and email templates; and web forms, read
-- by update time.

-- +goose Up
CREATE TABLE /* TEMPLATE: data */user_groups (
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */user_groups IS 'Keap user groups (GET /v2/userGroups), read whole in one call.';
COMMENT ON COLUMN /* TEMPLATE: data */user_groups.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */user_groups.name IS 'Group name.';

CREATE TABLE /* TEMPLATE: data */automation_categories (
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name
    automation_count bigint, -- json: automation_count
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */automation_categories IS 'Keap automation categories (GET /v2/automationCategory), read whole in one call; automations.categories holds their ids.';
COMMENT ON COLUMN /* TEMPLATE: data */automation_categories.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */automation_categories.name IS 'Category name.';
COMMENT ON COLUMN /* TEMPLATE: data */automation_categories.automation_count IS 'Automations in the category.';

CREATE TABLE /* TEMPLATE: data */automations (
    account text NOT NULL,
    id bigint NOT NULL,
    title text, -- json: title
    categories jsonb, -- json: categories
    status text, -- json: status
    locked boolean, -- json: locked
    active_contacts integer, -- json: active_contacts
    error_message text, -- json: error_message
    published_date timestamptz, -- json: published_date
    published_by bigint, -- json: published_by
    published_timezone text, -- json: published_timezone
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */automations IS 'Keap automations (GET /v2/automations, pages of at most 25), the campaign builder''s automations; read whole each run: no update time.';
COMMENT ON COLUMN /* TEMPLATE: data */automations.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */automations.title IS 'Automation title.';
COMMENT ON COLUMN /* TEMPLATE: data */automations.categories IS 'Its categories: a JSON array of ids (keap.automation_categories.id).';
COMMENT ON COLUMN /* TEMPLATE: data */automations.status IS 'PUBLISHED, DRAFT, ... .';
COMMENT ON COLUMN /* TEMPLATE: data */automations.locked IS 'Whether it is locked against edits.';
COMMENT ON COLUMN /* TEMPLATE: data */automations.active_contacts IS 'Contacts in it now.';
COMMENT ON COLUMN /* TEMPLATE: data */automations.error_message IS 'Why it failed to publish, if it did.';
COMMENT ON COLUMN /* TEMPLATE: data */automations.published_date IS 'When it was last published.';
COMMENT ON COLUMN /* TEMPLATE: data */automations.published_by IS 'The user who published it: joins keap.users.id.';
COMMENT ON COLUMN /* TEMPLATE: data */automations.published_timezone IS 'Time zone it was published in.';

CREATE TABLE /* TEMPLATE: data */merchants (
    account text NOT NULL,
    id bigint NOT NULL,
    name text, -- json: name
    type text, -- json: type
    is_test boolean, -- json: is_test
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */merchants IS 'Keap merchant accounts (GET /v2/merchants), read whole in one call; payments.merchant_account_type names their type.';
COMMENT ON COLUMN /* TEMPLATE: data */merchants.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */merchants.name IS 'Merchant account name.';
COMMENT ON COLUMN /* TEMPLATE: data */merchants.type IS 'Gateway type (KEAP_PAY, STRIPE, PAYPAL, ...).';
COMMENT ON COLUMN /* TEMPLATE: data */merchants.is_test IS 'Whether it is a test account.';

CREATE TABLE /* TEMPLATE: data */webforms (
    account text NOT NULL,
    id bigint NOT NULL,
    xid text, -- json: xid
    name text, -- json: name
    funnel_id bigint, -- json: funnel_id
    custom_slug text, -- json: custom_slug
    webform_url text, -- json: webform_url
    pretty_webform_url text, -- json: pretty_webform_url
    thank_you_page_url text, -- json: thank_you_page_url
    duplicate_check_option text, -- json: duplicate_check_option
    exit_option text, -- json: exit_option
    webform_type text, -- json: webform_type
    create_time timestamptz, -- json: create_time
    update_time timestamptz, -- json: update_time
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */webforms IS 'Keap web forms (GET /v2/webforms), read by update time.';
COMMENT ON COLUMN /* TEMPLATE: data */webforms.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */webforms.xid IS 'The form''s public id (in its URL).';
COMMENT ON COLUMN /* TEMPLATE: data */webforms.name IS 'Form name.';
COMMENT ON COLUMN /* TEMPLATE: data */webforms.funnel_id IS 'The funnel it belongs to, if any.';
COMMENT ON COLUMN /* TEMPLATE: data */webforms.custom_slug IS 'Custom slug of its URL.';
COMMENT ON COLUMN /* TEMPLATE: data */webforms.webform_url IS 'The form''s URL.';
COMMENT ON COLUMN /* TEMPLATE: data */webforms.pretty_webform_url IS 'The form''s URL with its slug.';
COMMENT ON COLUMN /* TEMPLATE: data */webforms.thank_you_page_url IS 'Where the form leads once sent.';
COMMENT ON COLUMN /* TEMPLATE: data */webforms.duplicate_check_option IS 'How it finds an existing contact (EMAIL, ...).';
COMMENT ON COLUMN /* TEMPLATE: data */webforms.exit_option IS 'What follows a submission (REDIRECT, ...).';
COMMENT ON COLUMN /* TEMPLATE: data */webforms.webform_type IS 'STANDALONE, FUNNEL, LANDING_PAGE, SURVEY, LEGACY, ... .';
COMMENT ON COLUMN /* TEMPLATE: data */webforms.create_time IS 'When the form was created.';
COMMENT ON COLUMN /* TEMPLATE: data */webforms.update_time IS 'When the form was last updated.';

CREATE TABLE /* TEMPLATE: data */email_templates (
    account text NOT NULL,
    id bigint NOT NULL,
    piece_title text, -- json: piece_title
    categories jsonb, -- json: categories
    from_address text, -- json: from_address
    to_address text, -- json: to_address
    cc_address text, -- json: cc_address
    bcc_address text, -- json: bcc_address
    subject text, -- json: subject
    content_type text, -- json: content_type
    merge_context text, -- json: merge_context
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
COMMENT ON TABLE /* TEMPLATE: data */email_templates IS 'Keap email templates (GET /v2/emails/templates), read whole each run: no update time.';
COMMENT ON COLUMN /* TEMPLATE: data */email_templates.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */email_templates.piece_title IS 'Template title.';
COMMENT ON COLUMN /* TEMPLATE: data */email_templates.categories IS 'Its categories: a JSON array of names.';
COMMENT ON COLUMN /* TEMPLATE: data */email_templates.from_address IS 'From address (may be a merge field).';
COMMENT ON COLUMN /* TEMPLATE: data */email_templates.to_address IS 'To address (may be a merge field).';
COMMENT ON COLUMN /* TEMPLATE: data */email_templates.cc_address IS 'Cc address.';
COMMENT ON COLUMN /* TEMPLATE: data */email_templates.bcc_address IS 'Bcc address.';
COMMENT ON COLUMN /* TEMPLATE: data */email_templates.subject IS 'Subject line.';
COMMENT ON COLUMN /* TEMPLATE: data */email_templates.content_type IS 'HTML or TEXT.';
COMMENT ON COLUMN /* TEMPLATE: data */email_templates.merge_context IS 'What its merge fields refer to (Contact, ...).';

SELECT /* TEMPLATE: state */document_common_columns();
SELECT /* TEMPLATE: state */count_live_rows('user_groups');
SELECT /* TEMPLATE: state */count_live_rows('automation_categories');
SELECT /* TEMPLATE: state */count_live_rows('automations');
SELECT /* TEMPLATE: state */count_live_rows('merchants');
SELECT /* TEMPLATE: state */count_live_rows('webforms');
SELECT /* TEMPLATE: state */count_live_rows('email_templates');

-- +goose Down
DROP TABLE /* TEMPLATE: data */email_templates;
DROP TABLE /* TEMPLATE: data */webforms;
DROP TABLE /* TEMPLATE: data */merchants;
DROP TABLE /* TEMPLATE: data */automations;
DROP TABLE /* TEMPLATE: data */automation_categories;
DROP TABLE /* TEMPLATE: data */user_groups;
