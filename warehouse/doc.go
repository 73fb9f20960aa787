// Package warehouse is keapsync's PostgreSQL warehouse: the analysts' tables
// in schema keap, and keapsync's own state in schema keapsync (checkpoints,
// sync runs and the shared quota ledger). Both names are configurable; the
// schemas are created by package migrations.
//
// Every function that touches the database takes the executor (a pool, a
// connection or a transaction), so a page's rows, its checkpoint and the
// job's completion commit together. This package knows nothing of Keap's API
// or River.
//
// # Tables
//
// Each stream of the client's catalogue has a table of the same name
// (Tables), keyed by (account, id): typed columns for what analysts filter
// and join on, raw (the record as received, jsonb), _problems (fields that
// could not be typed), _hash, _synced_at, _sync_run_id and _deleted_at. The
// four custom-field definition streams have a table each
// (contact_custom_fields, ...), united in the view custom_fields. Nested
// lists live in child tables keyed by (account, parent id, position):
// order_items, contact_tags, contact_email_addresses, contact_phone_numbers
// and contact_addresses. RefreshCustomFieldView rebuilds the named view of
// each entity with custom fields (contacts_custom, ..., subscriptions_custom;
// keapsync.custom_field_entities lists them), which exposes its custom
// fields as named, typed columns. The view freshness
// tells analysts how current each stream is. Every table and column carries
// a comment.
//
// The migration SQL is the one source of the tables' shapes: go generate
// ./warehouse/ reads it (internal/gentables) and writes tables_gen.go, the
// descriptors (Tables) and a typed row type per stream and child table,
// documented with the tables' comments. A test fails when tables_gen.go is
// stale, so a migration that changes a data table comes with its
// regenerated types.
//
// # Writing
//
// The pipeline maps a Keap record into a Row: its id, the raw bytes as
// received, the fields it could not type (Problems), and Values, the
// generated row of the table, such as
//
//	&ContactsRow{GivenName: &given, CompanyID: &companyID, Tags: []ContactTagsRow{{TagID: &tagID}}}
//
// with a field per typed column (nil is NULL; numeric columns take a Decimal,
// the exact digits of a JSON number) and a slice per child table. Upsert
// writes a page of rows into any table: each row type hands its values over
// in table order (no reflection, no maps, so a mismatch does not compile);
// unchanged records (same hash) cost one query, new ones are copied straight
// into their tables, changed ones are staged with COPY and merged with
// INSERT ... ON CONFLICT, and a written record's children are replaced. A
// value Postgres cannot store (a NUL byte, invalid UTF-8 or JSON, a number
// or time out of its column's range) is stored as NULL and recorded in the
// row's _problems instead of failing the page. SoftDelete and Undelete serve
// the delete-reconciliation pass.
//
// # State
//
// SaveCheckpoint only moves a high-water mark forward (ResetCheckpoint is
// the way back); StartRun, AddRunProgress, PauseRun, ResumeRun and FinishRun
// record sync runs; QuotaLedger implements the client's quota store.
//
// # Errors
//
// Errors are wrapped with the operation; the sentinels (ErrInvalidPage,
// ErrUnknownTable, ErrRunNotActive, ErrInvalidRunState) name mistakes a
// retry would repeat. IsRetryable tells the caller whether a failed call is
// worth trying again: true for serialization failures, deadlocks, lock
// timeouts, lost connections and an overloaded or restarting server, false
// for bad data, constraint violations, bad SQL and a cancelled context.
package warehouse
