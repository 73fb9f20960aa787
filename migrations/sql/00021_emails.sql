-- Email history (GET /v2/emails): every email sent to a contact, with when
-- it was opened and clicked. Usually an account's largest collection. Keap
-- filters emails on creation time only, and an open or a click changes an
-- email later without any update time: each incremental run reads the new
-- emails and re-reads a recent window (email_reread_window, 30 days by
-- default), so opens and clicks land.

-- +goose Up
CREATE TABLE /* TEMPLATE: data */emails (
    account text NOT NULL,
    id bigint NOT NULL,
    subject text, -- json: subject
    headers text, -- json: headers
    contact_id bigint, -- json: contact_id
    sent_to_address text, -- json: sent_to_address
    sent_to_cc_addresses jsonb, -- json: sent_to_cc_address_list
    sent_to_bcc_addresses jsonb, -- json: sent_to_bcc_address_list
    sent_from_address text, -- json: sent_from_address
    sent_from_reply_address text, -- json: sent_from_reply_address
    sent_time timestamptz, -- json: sent_time
    received_time timestamptz, -- json: received_time
    opened_time timestamptz, -- json: opened_time
    clicked_time timestamptz, -- json: clicked_time
    original_provider text, -- json: original_provider
    original_provider_id text, -- json: original_provider_id
    provider_source_id text, -- json: provider_source_id
    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);
CREATE INDEX ON /* TEMPLATE: data */emails (account, contact_id);
CREATE INDEX ON /* TEMPLATE: data */emails (account, sent_time);
COMMENT ON TABLE /* TEMPLATE: data */emails IS 'Keap email history (GET /v2/emails), without bodies: one row per email sent to a contact, with its opens and clicks (re-read for email_reread_window after sending; later opens land with a full sync).';
COMMENT ON COLUMN /* TEMPLATE: data */emails.id IS 'Keap id of the record.';
COMMENT ON COLUMN /* TEMPLATE: data */emails.subject IS 'Subject line.';
COMMENT ON COLUMN /* TEMPLATE: data */emails.headers IS 'Extra headers of the email, as Keap reports them.';
COMMENT ON COLUMN /* TEMPLATE: data */emails.contact_id IS 'The recipient: joins keap.contacts.id.';
COMMENT ON COLUMN /* TEMPLATE: data */emails.sent_to_address IS 'The address it was sent to.';
COMMENT ON COLUMN /* TEMPLATE: data */emails.sent_to_cc_addresses IS 'Cc addresses: a JSON array.';
COMMENT ON COLUMN /* TEMPLATE: data */emails.sent_to_bcc_addresses IS 'Bcc addresses: a JSON array.';
COMMENT ON COLUMN /* TEMPLATE: data */emails.sent_from_address IS 'The sender''s address.';
COMMENT ON COLUMN /* TEMPLATE: data */emails.sent_from_reply_address IS 'The reply-to address.';
COMMENT ON COLUMN /* TEMPLATE: data */emails.sent_time IS 'When it was sent.';
COMMENT ON COLUMN /* TEMPLATE: data */emails.received_time IS 'When it was received.';
COMMENT ON COLUMN /* TEMPLATE: data */emails.opened_time IS 'When it was opened; NULL while not (as of the last read of it).';
COMMENT ON COLUMN /* TEMPLATE: data */emails.clicked_time IS 'When a link in it was clicked; NULL while not.';
COMMENT ON COLUMN /* TEMPLATE: data */emails.original_provider IS 'Who sent it: INFUSIONSOFT (Keap), MICROSOFT or GOOGLE (a synced mailbox), UNKNOWN.';
COMMENT ON COLUMN /* TEMPLATE: data */emails.original_provider_id IS 'The message''s id at that provider.';
COMMENT ON COLUMN /* TEMPLATE: data */emails.provider_source_id IS 'The synced mailbox it came from.';

SELECT /* TEMPLATE: state */document_common_columns();
SELECT /* TEMPLATE: state */count_live_rows('emails');

-- +goose Down
DROP TABLE /* TEMPLATE: data */emails;
