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
// and contact_addresses. RefreshCustomFieldView rebuilds the views
// contacts_custom, companies_custom, opportunities_custom and orders_custom,
// which expose custom fields as named, typed columns. The view freshness
// tells analysts how current each stream is. Every table and column carries
// a comment.
//
// # Writing
//
// The pipeline maps Keap records into Rows (typed values, raw bytes, child
// rows, problems) and writes a page with Upsert, which serves every table
// from its descriptor: unchanged records (same hash) cost one query, new
// ones are copied straight into their tables, changed ones are staged with
// COPY and merged with INSERT ... ON CONFLICT, and a written record's
// children are replaced. SoftDelete and Undelete serve the
// delete-reconciliation pass.
//
// # State
//
// SaveCheckpoint only moves a high-water mark forward (ResetCheckpoint is
// the way back); StartRun, AddRunProgress, PauseRun, ResumeRun and FinishRun
// record sync runs; QuotaLedger implements the client's quota store.
package warehouse
