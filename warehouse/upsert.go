package warehouse

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Page is a page of records of one stream, written by one Upsert.
type Page struct {
	// Account is the configured name of the Keap account.
	Account string

	// RunID is the sync run writing the page (SyncRun.ID), stored in each
	// changed row's _sync_run_id; 0 stores NULL.
	RunID int64

	// Rows are the records. A record repeated in the page is written once,
	// as its last occurrence.
	Rows []Row
}

// UpsertResult counts what an Upsert did with each distinct record of a
// page.
type UpsertResult struct {
	Inserted  int
	Updated   int // changed, or seen again after a soft delete
	Unchanged int // same hash as stored: not written
}

// ErrInvalidPage is returned (wrapped) for a page the warehouse cannot
// write at all: no account, a row without raw JSON, a row without Values
// or with those of another table.
var ErrInvalidPage = errors.New("invalid page")

// tableSQL is a table's descriptor with its SQL rendered for one schema.
type tableSQL struct {
	*Table
	ident      pgx.Identifier // the table in the data schema
	stageName  string         // temporary staging table
	stage      string         // stageName, quoted
	copyCols   []string       // columns copied into the stage, in order
	createStg  string
	hashes     string
	freshCols  []string // copyCols and _sync_run_id: a direct COPY into the table
	mergeSQL   string
	dropStg    string
	softDelete string
	undelete   string
	children   []*childSQL // as table.Children
}

type childSQL struct {
	*ChildTable
	ident    pgx.Identifier
	copyCols []string
	del      string
}

func renderTable(schema string, t *Table) *tableSQL {
	q := pgx.Identifier{schema, t.Name}.Sanitize()
	ts := &tableSQL{
		Table:     t,
		ident:     pgx.Identifier{schema, t.Name},
		stageName: "_keapsync_stage_" + t.Name,
	}
	ts.stage = pgx.Identifier{ts.stageName}.Sanitize()
	ts.copyCols = append(ts.copyCols, "account", "id")
	for _, c := range t.Columns {
		ts.copyCols = append(ts.copyCols, c.Name)
	}
	ts.copyCols = append(ts.copyCols, "raw", "_problems", "_hash")
	cols := quoteAll(ts.copyCols)

	ts.createStg = fmt.Sprintf("CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA", ts.stage, cols, q)
	ts.dropStg = "DROP TABLE " + ts.stage
	ts.hashes = fmt.Sprintf("SELECT id, _hash, _deleted_at IS NOT NULL FROM %s WHERE account = $1 AND id = ANY($2)", q)

	var set []string
	for _, c := range ts.copyCols[2:] {
		set = append(set, fmt.Sprintf("%s = EXCLUDED.%[1]s", pgx.Identifier{c}.Sanitize()))
	}
	set = append(set, "_synced_at = EXCLUDED._synced_at", "_sync_run_id = EXCLUDED._sync_run_id", "_deleted_at = NULL")
	ts.freshCols = append(ts.copyCols[:len(ts.copyCols):len(ts.copyCols)], "_sync_run_id")
	// The WHERE clause repeats the hash check made before staging, so a
	// concurrent writer of the same rows cannot make us count or rewrite
	// an unchanged row.
	ts.mergeSQL = fmt.Sprintf(`INSERT INTO %s AS t (%s, _synced_at, _sync_run_id)
SELECT %s, now(), $1 FROM %s
ON CONFLICT (account, id) DO UPDATE SET %s
WHERE t._hash IS DISTINCT FROM EXCLUDED._hash OR t._deleted_at IS NOT NULL
RETURNING t.id, (t.xmax = 0)`, q, cols, cols, ts.stage, strings.Join(set, ", "))

	ts.softDelete = fmt.Sprintf(`UPDATE %s SET _deleted_at = now(), _sync_run_id = coalesce($3, _sync_run_id)
WHERE account = $1 AND id = ANY($2) AND _deleted_at IS NULL`, q)
	ts.undelete = fmt.Sprintf(`UPDATE %s SET _deleted_at = NULL, _sync_run_id = coalesce($3, _sync_run_id)
WHERE account = $1 AND id = ANY($2) AND _deleted_at IS NOT NULL`, q)

	for _, c := range t.Children {
		cs := &childSQL{ChildTable: c, ident: pgx.Identifier{schema, c.Name}}
		cs.copyCols = append(cs.copyCols, "account", c.ParentColumn, "position")
		for _, col := range c.Columns {
			cs.copyCols = append(cs.copyCols, col.Name)
		}
		cs.del = fmt.Sprintf("DELETE FROM %s WHERE account = $1 AND %s = ANY($2)",
			cs.ident.Sanitize(), pgx.Identifier{c.ParentColumn}.Sanitize())
		ts.children = append(ts.children, cs)
	}
	return ts
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = pgx.Identifier{n}.Sanitize()
	}
	return strings.Join(q, ", ")
}

// preparedRow is a row converted for COPY.
type preparedRow struct {
	id       int64
	values   []any // in tableSQL.copyCols order
	hash     []byte
	children [][][]any // by index in Table.Children, each in childSQL.copyCols order
}

// Upsert writes a page of records into table: new records are inserted,
// changed ones (by hash of Raw) updated, unchanged ones not touched, and a
// changed record's child rows replaced by its new ones. Records seen again
// after a soft delete are undeleted. It is idempotent, and atomic on ex (a
// savepoint when ex is a transaction): pass the transaction that also saves
// the page's checkpoint and completes its job.
//
// A page whose records are all unchanged costs one query. Records not
// stored yet are copied straight into the table; changed ones are copied into
// a temporary table and merged with one INSERT ... ON CONFLICT.
func (w *Warehouse) Upsert(ctx context.Context, ex Executor, table string, page Page) (UpsertResult, error) {
	t, err := w.table(table)
	if err != nil {
		return UpsertResult{}, fmt.Errorf("warehouse: upsert: %w", err)
	}
	res, err := w.upsert(ctx, ex, t, page)
	if err != nil {
		return UpsertResult{}, fmt.Errorf("warehouse: upsert %s: %w", table, err)
	}
	return res, nil
}

func (w *Warehouse) upsert(ctx context.Context, ex Executor, t *tableSQL, page Page) (UpsertResult, error) {
	if page.Account == "" {
		return UpsertResult{}, fmt.Errorf("%w: no account", ErrInvalidPage)
	}
	rows, err := t.prepare(page)
	if err != nil {
		return UpsertResult{}, err
	}
	if len(rows) == 0 {
		return UpsertResult{}, nil
	}
	fresh, changed, err := t.changedRows(ctx, ex, page.Account, rows)
	if err != nil {
		return UpsertResult{}, err
	}
	res := UpsertResult{Unchanged: len(rows) - len(fresh) - len(changed)}
	if len(fresh) == 0 && len(changed) == 0 {
		return res, nil
	}

	var runID any
	if page.RunID != 0 {
		runID = page.RunID
	}
	err = pgx.BeginFunc(ctx, ex, func(tx pgx.Tx) error {
		if len(fresh) > 0 {
			ok, err := t.copyFresh(ctx, tx, page.Account, runID, fresh)
			if err != nil {
				return err
			}
			if ok {
				res.Inserted += len(fresh)
			} else {
				changed = append(changed, fresh...)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		ids, inserted, err := t.merge(ctx, tx, runID, changed)
		if err != nil {
			return err
		}
		res.Inserted += inserted
		res.Updated += len(ids) - inserted
		res.Unchanged += len(changed) - len(ids)
		return t.replaceChildren(ctx, tx, page.Account, ids, changed)
	})
	if err != nil {
		return UpsertResult{}, err
	}
	return res, nil
}

// copyFresh copies rows that were not stored when the page began, and their
// children, straight into their tables: as fast as a plain COPY. If another
// writer stored one of them meanwhile (or stray child rows are in the way),
// the copy fails on a unique key, is rolled back to its savepoint, and
// copyFresh returns false for the caller to merge the rows instead.
func (t *tableSQL) copyFresh(ctx context.Context, tx pgx.Tx, account string, runID any, rows []*preparedRow) (bool, error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("savepoint: %w", err)
	}
	err = func() error {
		src := make([][]any, len(rows))
		for i, r := range rows {
			src[i] = append(r.values[:len(r.values):len(r.values)], runID)
		}
		if _, err := sp.CopyFrom(ctx, t.ident, t.freshCols, pgx.CopyFromRows(src)); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		for i := range t.children {
			if err := t.copyChildren(ctx, sp, i, rows, nil); err != nil {
				return err
			}
		}
		return nil
	}()
	if err == nil {
		if err := sp.Commit(ctx); err != nil {
			return false, fmt.Errorf("release savepoint: %w", err)
		}
		return true, nil
	}
	if rbErr := sp.Rollback(ctx); rbErr != nil {
		return false, fmt.Errorf("rollback savepoint: %w", rbErr)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UniqueViolation {
		return false, nil
	}
	return false, err
}

// merge stages rows in a temporary table and merges them into the table,
// returning the ids it wrote and how many of those were inserts.
func (t *tableSQL) merge(ctx context.Context, tx pgx.Tx, runID any, rows []*preparedRow) (ids []int64, inserted int, err error) {
	if _, err := tx.Exec(ctx, t.createStg); err != nil {
		return nil, 0, fmt.Errorf("create staging table: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.stageName}, t.copyCols, copyRows(rows)); err != nil {
		return nil, 0, fmt.Errorf("copy: %w", err)
	}
	merged, err := tx.Query(ctx, t.mergeSQL, runID)
	if err != nil {
		return nil, 0, fmt.Errorf("merge: %w", err)
	}
	var (
		id    int64
		isNew bool
	)
	_, err = pgx.ForEachRow(merged, []any{&id, &isNew}, func() error {
		ids = append(ids, id)
		if isNew {
			inserted++
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("merge: %w", err)
	}
	if _, err := tx.Exec(ctx, t.dropStg); err != nil {
		return nil, 0, fmt.Errorf("drop staging table: %w", err)
	}
	return ids, inserted, nil
}

// prepare dedupes the page (last occurrence wins) and converts its rows.
func (t *tableSQL) prepare(page Page) ([]*preparedRow, error) {
	last := make(map[int64]int, len(page.Rows))
	for i := range page.Rows {
		last[page.Rows[i].ID] = i
	}
	out := make([]*preparedRow, 0, len(last))
	for i := range page.Rows {
		r := &page.Rows[i]
		if last[r.ID] != i {
			continue
		}
		p, err := t.prepareRow(page.Account, r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (t *tableSQL) prepareRow(account string, r *Row) (*preparedRow, error) {
	switch {
	case r.Values == nil:
		return nil, fmt.Errorf("%w: id %d has no values", ErrInvalidPage, r.ID)
	case r.Values.TableName() != t.Name:
		return nil, fmt.Errorf("%w: id %d: values of table %s, not %s", ErrInvalidPage, r.ID, r.Values.TableName(), t.Name)
	case len(r.Raw) == 0:
		return nil, fmt.Errorf("%w: id %d has no raw record", ErrInvalidPage, r.ID)
	}
	raw, replaced := replaceNULEscapes(r.Raw)
	problems := r.Problems
	if replaced {
		problems = append(problems[:len(problems):len(problems)], Problem{Field: "raw", Reason: `\u0000 replaced with \ufffd: jsonb cannot store it`})
	}
	if !utf8.Valid(raw) {
		// Keap's data is user-controlled: a record with bytes that are not
		// UTF-8 is stored with them replaced (jsonb takes only UTF-8),
		// rather than failing its page.
		raw = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
		problems = append(problems[:len(problems):len(problems)], Problem{Field: "raw", Reason: "bytes that are not UTF-8 replaced with \ufffd: jsonb cannot store them"})
	}
	w := newRowWriter(t.Table, account, r.ID, len(t.copyCols), problems)
	if !r.Values.writeTo(w) {
		return nil, fmt.Errorf("%w: id %d has nil values", ErrInvalidPage, r.ID)
	}
	w.endRow()
	vals := w.parent
	var problemsJSON any
	if len(w.problems) > 0 {
		b, err := json.Marshal(w.problems)
		if err != nil {
			return nil, fmt.Errorf("id %d: problems: %w", r.ID, err)
		}
		problemsJSON = b
	}
	sum := sha256.Sum256(raw)
	vals = append(vals, raw, problemsJSON, sum[:])
	// The generated writeTo and the descriptors come from one parse of the
	// migrations; a mismatch is a generator bug, better named here than by
	// COPY.
	if len(vals) != len(t.copyCols) {
		return nil, fmt.Errorf("id %d: %d values for %d columns (run go generate ./warehouse/)", r.ID, len(vals), len(t.copyCols))
	}
	for i, rows := range w.children {
		for _, row := range rows {
			if len(row) != len(t.children[i].copyCols) {
				return nil, fmt.Errorf("id %d: %s: %d values for %d columns (run go generate ./warehouse/)", r.ID, t.children[i].Name, len(row), len(t.children[i].copyCols))
			}
		}
	}
	return &preparedRow{id: r.ID, values: vals, hash: sum[:], children: w.children}, nil
}

// changedRows splits off the rows not stored yet (fresh) and those whose
// stored hash differs or that are soft deleted (changed).
func (t *tableSQL) changedRows(ctx context.Context, ex Executor, account string, rows []*preparedRow) (fresh, changed []*preparedRow, err error) {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	type stored struct {
		hash    []byte
		deleted bool
	}
	have := make(map[int64]stored, len(rows))
	q, err := ex.Query(ctx, t.hashes, account, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("read hashes: %w", err)
	}
	var (
		id      int64
		hash    []byte
		deleted bool
	)
	_, err = pgx.ForEachRow(q, []any{&id, &hash, &deleted}, func() error {
		have[id] = stored{hash: bytes.Clone(hash), deleted: deleted}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read hashes: %w", err)
	}
	for _, r := range rows {
		s, ok := have[r.id]
		switch {
		case !ok:
			fresh = append(fresh, r)
		case s.deleted || !bytes.Equal(s.hash, r.hash):
			changed = append(changed, r)
		}
	}
	return fresh, changed, nil
}

// replaceChildren deletes the child rows of the parents the merge wrote and
// copies in their new ones.
func (t *tableSQL) replaceChildren(ctx context.Context, tx pgx.Tx, account string, ids []int64, rows []*preparedRow) error {
	if len(t.Children) == 0 || len(ids) == 0 {
		return nil
	}
	written := make(map[int64]bool, len(ids))
	for _, id := range ids {
		written[id] = true
	}
	for i, cs := range t.children {
		if _, err := tx.Exec(ctx, cs.del, account, ids); err != nil {
			return fmt.Errorf("delete %s: %w", cs.Name, err)
		}
		if err := t.copyChildren(ctx, tx, i, rows, written); err != nil {
			return err
		}
	}
	return nil
}

// copyChildren copies the rows of the child table t.children[c] of rows (of
// those in only, unless nil).
func (t *tableSQL) copyChildren(ctx context.Context, tx pgx.Tx, c int, rows []*preparedRow, only map[int64]bool) error {
	cs := t.children[c]
	var crows [][]any
	for _, r := range rows {
		if r.children != nil && (only == nil || only[r.id]) {
			crows = append(crows, r.children[c]...)
		}
	}
	if len(crows) == 0 {
		return nil
	}
	if _, err := tx.CopyFrom(ctx, cs.ident, cs.copyCols, pgx.CopyFromRows(crows)); err != nil {
		return fmt.Errorf("copy %s: %w", cs.Name, err)
	}
	return nil
}

func copyRows(rows []*preparedRow) pgx.CopyFromSource {
	i := -1
	return pgx.CopyFromFunc(func() ([]any, error) {
		i++
		if i >= len(rows) {
			return nil, nil
		}
		return rows[i].values, nil
	})
}

// SoftDelete marks the records of ids in table deleted (sets _deleted_at),
// for the delete-reconciliation pass, and returns how many it marked; rows
// already deleted or never stored are left alone. runID, unless 0, is stored
// as the rows' _sync_run_id.
func (w *Warehouse) SoftDelete(ctx context.Context, ex Executor, table, account string, runID int64, ids []int64) (int64, error) {
	return w.setDeleted(ctx, ex, "soft delete", table, account, runID, ids, func(t *tableSQL) string { return t.softDelete })
}

// Undelete clears the deletion mark of the records of ids in table and
// returns how many it cleared.
func (w *Warehouse) Undelete(ctx context.Context, ex Executor, table, account string, runID int64, ids []int64) (int64, error) {
	return w.setDeleted(ctx, ex, "undelete", table, account, runID, ids, func(t *tableSQL) string { return t.undelete })
}

func (w *Warehouse) setDeleted(ctx context.Context, ex Executor, op, table, account string, runID int64, ids []int64, query func(*tableSQL) string) (int64, error) {
	t, err := w.table(table)
	if err != nil {
		return 0, fmt.Errorf("warehouse: %s: %w", op, err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	var run any
	if runID != 0 {
		run = runID
	}
	tag, err := ex.Exec(ctx, query(t), account, ids, run)
	if err != nil {
		return 0, fmt.Errorf("warehouse: %s %s: %w", op, table, err)
	}
	return tag.RowsAffected(), nil
}

// replaceNULEscapes replaces the JSON escape \u0000, which jsonb rejects,
// with \ufffd, so one such string cannot fail a page. The scan runs only when
// the escape appears at all.
func replaceNULEscapes(raw []byte) ([]byte, bool) {
	if !bytes.Contains(raw, []byte(`\u0000`)) {
		return raw, false
	}
	out := make([]byte, 0, len(raw))
	replaced := false
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			out = append(out, raw[i])
			continue
		}
		if bytes.HasPrefix(raw[i:], []byte(`\u0000`)) {
			out = append(out, `\ufffd`...)
			i += len(`\u0000`) - 1
			replaced = true
			continue
		}
		// Any other escape: copy it whole, so an escaped backslash
		// followed by u0000 is not mistaken for the NUL escape.
		out = append(out, raw[i], raw[i+1])
		i++
	}
	return out, replaced
}
