package warehouse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

func contactRow(id int64, name string, tags ...int64) warehouse.Row {
	raw, _ := json.Marshal(map[string]any{"id": fmt.Sprint(id), "given_name": name, "tag_ids": tags})
	r := warehouse.Row{
		ID:     id,
		Raw:    raw,
		Values: warehouse.Values{"given_name": name, "update_time": time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)},
		Children: map[string][]warehouse.Values{
			"contact_email_addresses": {{"field": "EMAIL1", "email": name + "@example.com", "is_opt_in": true}},
		},
	}
	for _, tag := range tags {
		r.Children["contact_tags"] = append(r.Children["contact_tags"], warehouse.Values{"tag_id": tag})
	}
	return r
}

func count(t *testing.T, b warehousetest.Bundle, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := b.Pool.QueryRow(context.Background(), fmt.Sprintf(sql, pgx.Identifier{b.Config.DataSchema}.Sanitize()), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestUpsert_InsertsThenSkipsUnchangedThenUpdatesChanged(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()
	w := b.Warehouse

	page := warehouse.Page{Account: "acme", RunID: 7, Rows: []warehouse.Row{contactRow(1, "Ann", 10, 11), contactRow(2, "Bob")}}
	res, err := w.Upsert(ctx, b.Pool, "contacts", page)
	if err != nil {
		t.Fatal(err)
	}
	if res != (warehouse.UpsertResult{Inserted: 2}) {
		t.Fatalf("first upsert = %+v, want 2 inserted", res)
	}
	res, err = w.Upsert(ctx, b.Pool, "contacts", page)
	if err != nil {
		t.Fatal(err)
	}
	if res != (warehouse.UpsertResult{Unchanged: 2}) {
		t.Fatalf("same page again = %+v, want 2 unchanged", res)
	}

	page.Rows = []warehouse.Row{contactRow(1, "Annie", 12), contactRow(2, "Bob")}
	page.RunID = 8
	res, err = w.Upsert(ctx, b.Pool, "contacts", page)
	if err != nil {
		t.Fatal(err)
	}
	if res != (warehouse.UpsertResult{Updated: 1, Unchanged: 1}) {
		t.Fatalf("one changed row = %+v, want 1 updated 1 unchanged", res)
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contacts WHERE id = 1 AND given_name = 'Annie' AND _sync_run_id = 8 AND raw->>'given_name' = 'Annie'"); n != 1 {
		t.Error("contact 1 was not rewritten with the new name, raw and run id")
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contacts WHERE id = 2 AND _sync_run_id = 7"); n != 1 {
		t.Error("unchanged contact 2 was rewritten")
	}
	// Children of the changed parent are replaced, not appended to.
	if n := count(t, b, "SELECT count(*) FROM %s.contact_tags WHERE contact_id = 1"); n != 1 {
		t.Errorf("contact 1 has %d tags, want 1 (replaced)", n)
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contact_tags WHERE contact_id = 1 AND tag_id = 12"); n != 1 {
		t.Error("contact 1's new tag 12 is missing")
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contact_email_addresses WHERE contact_id = 1 AND email = 'Annie@example.com' AND is_opt_in"); n != 1 {
		t.Error("contact 1's email address was not replaced")
	}

	// New, changed and unchanged records in one page.
	page.Rows = []warehouse.Row{contactRow(3, "Cy", 1), contactRow(1, "Ann", 10), contactRow(2, "Bob")}
	res, err = w.Upsert(ctx, b.Pool, "contacts", page)
	if err != nil {
		t.Fatal(err)
	}
	if res != (warehouse.UpsertResult{Inserted: 1, Updated: 1, Unchanged: 1}) {
		t.Fatalf("mixed page = %+v, want one of each", res)
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contact_tags"); n != 2 {
		t.Errorf("%d tag rows, want contact 1's and contact 3's", n)
	}
}

func TestUpsert_DuplicateIDInPageKeepsLastOccurrence(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()

	page := warehouse.Page{Account: "acme", Rows: []warehouse.Row{contactRow(1, "First", 1), contactRow(2, "Other"), contactRow(1, "Last", 2, 3)}}
	res, err := b.Warehouse.Upsert(ctx, b.Pool, "contacts", page)
	if err != nil {
		t.Fatal(err)
	}
	if res != (warehouse.UpsertResult{Inserted: 2}) {
		t.Fatalf("upsert = %+v, want 2 inserted", res)
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contacts WHERE id = 1 AND given_name = 'Last'"); n != 1 {
		t.Error("the last occurrence of contact 1 did not win")
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contact_tags WHERE contact_id = 1"); n != 2 {
		t.Errorf("contact 1 has %d tags, want the last occurrence's 2", n)
	}
}

func TestUpsert_AccountsAreSeparate(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()
	for _, acct := range []string{"a", "b"} {
		res, err := b.Warehouse.Upsert(ctx, b.Pool, "contacts", warehouse.Page{Account: acct, Rows: []warehouse.Row{contactRow(1, "Same")}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Inserted != 1 {
			t.Errorf("account %s: %+v, want its own insert", acct, res)
		}
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contacts"); n != 2 {
		t.Errorf("%d rows, want one per account", n)
	}
}

func TestUpsert_OddValueIsNullWithProblemAndPageSucceeds(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()

	odd := contactRow(1, "Odd")
	odd.Values["family_name"] = "bad\x00nul"
	odd.Values["score_value"] = "\xff\xfe not utf-8"
	odd.Problems = []warehouse.Problem{{Field: "birth_date", Reason: "not a date: 31/02/1990"}}
	odd.Raw = []byte(`{"id":"1","given_name":"Odd","birth_date":"31/02/1990","notes":"nul \u0000 inside, escaped \\u0000 not"}`)
	res, err := b.Warehouse.Upsert(ctx, b.Pool, "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{odd, contactRow(2, "Fine")}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 2 {
		t.Fatalf("upsert = %+v, want both rows inserted", res)
	}
	var problems []warehouse.Problem
	var family, birth *string
	var raw map[string]any
	err = b.Pool.QueryRow(ctx, fmt.Sprintf("SELECT _problems, family_name, birth_date::text, raw FROM %s.contacts WHERE id = 1",
		pgx.Identifier{b.Config.DataSchema}.Sanitize())).Scan(&problems, &family, &birth, &raw)
	if err != nil {
		t.Fatal(err)
	}
	if family != nil || birth != nil {
		t.Errorf("odd columns = %v, %v, want NULL", family, birth)
	}
	fields := map[string]bool{}
	for _, p := range problems {
		fields[p.Field] = true
	}
	for _, f := range []string{"birth_date", "family_name", "score_value", "raw"} {
		if !fields[f] {
			t.Errorf("problems %+v do not record %s", problems, f)
		}
	}
	if raw["birth_date"] != "31/02/1990" || raw["notes"] != "nul \ufffd inside, escaped \\u0000 not" {
		t.Errorf("raw = %v, want the odd values kept", raw)
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contacts WHERE id = 2 AND _problems IS NULL"); n != 1 {
		t.Error("a clean row has problems recorded")
	}
}

func TestUpsert_BadInputIsATypedErrorAndWritesNothing(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()

	wrongType := contactRow(2, "Bob")
	wrongType.Values["owner_id"] = "42"
	unknownColumn := contactRow(2, "Bob")
	unknownColumn.Values["shoe_size"] = int64(44)
	unknownChild := contactRow(2, "Bob")
	unknownChild.Children["contact_pets"] = []warehouse.Values{{"name": "Rex"}}
	noRaw := contactRow(2, "Bob")
	noRaw.Raw = nil

	tests := []struct {
		name  string
		table string
		page  warehouse.Page
		check func(error) bool
	}{
		{"wrong Go type", "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{contactRow(1, "Ann"), wrongType}},
			func(err error) bool {
				var ve *warehouse.ValueError
				return errors.As(err, &ve) && ve.Column == "owner_id" && ve.ID == 2
			}},
		{"unknown column", "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{unknownColumn}},
			func(err error) bool { return errors.Is(err, warehouse.ErrInvalidPage) }},
		{"unknown child table", "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{unknownChild}},
			func(err error) bool { return errors.Is(err, warehouse.ErrInvalidPage) }},
		{"no raw", "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{noRaw}},
			func(err error) bool { return errors.Is(err, warehouse.ErrInvalidPage) }},
		{"no account", "contacts", warehouse.Page{Rows: []warehouse.Row{contactRow(1, "Ann")}},
			func(err error) bool { return errors.Is(err, warehouse.ErrInvalidPage) }},
		{"unknown table", "pets", warehouse.Page{Account: "acme", Rows: []warehouse.Row{contactRow(1, "Ann")}},
			func(err error) bool { return errors.Is(err, warehouse.ErrUnknownTable) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.Warehouse.Upsert(ctx, b.Pool, tt.table, tt.page)
			if err == nil || !tt.check(err) {
				t.Fatalf("err = %v, want the typed error", err)
			}
		})
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contacts"); n != 0 {
		t.Errorf("%d rows written by failed pages, want 0", n)
	}
}

func TestUpsert_InCallersTransactionCommitsOrRollsBackWithIt(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()
	w := b.Warehouse

	tx, err := b.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Two pages of one table in one transaction: the staging table of the
	// first must not get in the way of the second.
	for _, id := range []int64{1, 2} {
		if _, err := w.Upsert(ctx, tx, "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{contactRow(id, "X", id)}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.SaveCheckpoint(ctx, tx, warehouse.Checkpoint{Account: "acme", Stream: "contacts", Mode: "time_filter", LastID: 2}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contacts"); n != 0 {
		t.Errorf("%d rows after rollback, want 0", n)
	}
	if _, ok, err := w.Checkpoint(ctx, b.Pool, "acme", "contacts"); err != nil || ok {
		t.Errorf("checkpoint after rollback: ok %v err %v, want none", ok, err)
	}

	err = pgx.BeginFunc(ctx, b.Pool, func(tx pgx.Tx) error {
		_, err := w.Upsert(ctx, tx, "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{contactRow(1, "X", 5)}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contact_tags"); n != 1 {
		t.Errorf("%d tags after commit, want 1", n)
	}
}

func TestSoftDelete_MarksAndUndeleteOrReappearanceClears(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()
	w := b.Warehouse

	page := warehouse.Page{Account: "acme", Rows: []warehouse.Row{contactRow(1, "A"), contactRow(2, "B"), contactRow(3, "C")}}
	if _, err := w.Upsert(ctx, b.Pool, "contacts", page); err != nil {
		t.Fatal(err)
	}
	n, err := w.SoftDelete(ctx, b.Pool, "contacts", "acme", 9, []int64{1, 2, 99})
	if err != nil || n != 2 {
		t.Fatalf("SoftDelete = %d, %v, want 2 marked", n, err)
	}
	if n, _ := w.SoftDelete(ctx, b.Pool, "contacts", "acme", 9, []int64{1}); n != 0 {
		t.Errorf("deleting again marked %d, want 0", n)
	}
	if c := count(t, b, "SELECT count(*) FROM %s.contacts WHERE _deleted_at IS NOT NULL AND _sync_run_id = 9"); c != 2 {
		t.Errorf("%d rows marked deleted, want 2", c)
	}

	n, err = w.Undelete(ctx, b.Pool, "contacts", "acme", 0, []int64{1})
	if err != nil || n != 1 {
		t.Fatalf("Undelete = %d, %v, want 1", n, err)
	}
	// Contact 2 reappears unchanged in a sync: it counts as updated and is
	// no longer deleted.
	res, err := w.Upsert(ctx, b.Pool, "contacts", page)
	if err != nil {
		t.Fatal(err)
	}
	if res != (warehouse.UpsertResult{Updated: 1, Unchanged: 2}) {
		t.Errorf("upsert after delete = %+v, want 1 updated (undeleted), 2 unchanged", res)
	}
	if c := count(t, b, "SELECT count(*) FROM %s.contacts WHERE _deleted_at IS NOT NULL"); c != 0 {
		t.Errorf("%d rows still deleted, want 0", c)
	}
	if _, err := w.SoftDelete(ctx, b.Pool, "pets", "acme", 0, []int64{1}); !errors.Is(err, warehouse.ErrUnknownTable) {
		t.Errorf("soft delete of unknown table: %v, want ErrUnknownTable", err)
	}
}

func TestUpsert_EveryTableAcceptsARowOfEveryColumn(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()
	sample := map[warehouse.ColumnType]any{
		warehouse.Text:        "text ✓",
		warehouse.BigInt:      int64(1 << 40),
		warehouse.Integer:     7,
		warehouse.Numeric:     "12345.67",
		warehouse.Boolean:     true,
		warehouse.Timestamptz: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		warehouse.Date:        time.Date(1990, 2, 28, 0, 0, 0, 0, time.UTC),
		warehouse.JSONB:       []byte(`[{"id":"1","label":"x"}]`),
		warehouse.BigIntArray: []int64{1, 2},
	}
	for _, tbl := range warehouse.Tables() {
		row := warehouse.Row{ID: 1, Raw: []byte(`{"id":"1"}`), Values: warehouse.Values{}, Children: map[string][]warehouse.Values{}}
		for _, c := range tbl.Columns {
			row.Values[c.Name] = sample[c.Type]
		}
		for _, ch := range tbl.Children {
			v := warehouse.Values{}
			for _, c := range ch.Columns {
				v[c.Name] = sample[c.Type]
			}
			row.Children[ch.Name] = []warehouse.Values{v, v}
		}
		res, err := b.Warehouse.Upsert(ctx, b.Pool, tbl.Name, warehouse.Page{Account: "acme", Rows: []warehouse.Row{row}})
		if err != nil {
			t.Errorf("%s: %v", tbl.Name, err)
			continue
		}
		if res.Inserted != 1 {
			t.Errorf("%s: %+v, want 1 inserted", tbl.Name, res)
		}
		for _, ch := range tbl.Children {
			if n := count(t, b, "SELECT count(*) FROM %s."+ch.Name); n != 2 {
				t.Errorf("%s: %d rows, want 2", ch.Name, n)
			}
		}
	}
}

func TestUpsert_NewRowBlockedByStrayChildFallsBackToMerge(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()
	// A child row without its parent (left by hand, or by a concurrent
	// writer) makes the direct copy of the new parent's children collide.
	_, err := b.Pool.Exec(ctx, fmt.Sprintf("INSERT INTO %s.contact_tags (account, contact_id, position, tag_id) VALUES ('acme', 1, 0, 99)",
		pgx.Identifier{b.Config.DataSchema}.Sanitize()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Warehouse.Upsert(ctx, b.Pool, "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{contactRow(1, "Ann", 5, 6), contactRow(2, "Bob", 7)}})
	if err != nil {
		t.Fatal(err)
	}
	if res != (warehouse.UpsertResult{Inserted: 2}) {
		t.Errorf("upsert = %+v, want 2 inserted", res)
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contact_tags WHERE contact_id = 1 AND tag_id IN (5, 6)"); n != 2 {
		t.Errorf("contact 1 has %d of its tags, want 2 (the stray one replaced)", n)
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contact_tags"); n != 3 {
		t.Errorf("%d tag rows, want 3", n)
	}
}

func TestUpsert_ConcurrentWritersOfTheSamePageCountEachRowOnce(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 8)
	ctx := context.Background()
	var rows []warehouse.Row
	for id := range int64(200) {
		rows = append(rows, contactRow(id+1, "Same", id%7))
	}
	const writers = 4
	results := make(chan warehouse.UpsertResult, writers)
	errs := make(chan error, writers)
	for range writers {
		go func() {
			res, err := b.Warehouse.Upsert(ctx, b.Pool, "contacts", warehouse.Page{Account: "acme", Rows: rows})
			results <- res
			errs <- err
		}()
	}
	var total warehouse.UpsertResult
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		r := <-results
		total.Inserted += r.Inserted
		total.Updated += r.Updated
		total.Unchanged += r.Unchanged
	}
	if total.Inserted != 200 || total.Updated != 0 || total.Unchanged != 200*(writers-1) {
		t.Errorf("writers counted %+v, want each row inserted once and unchanged for the others", total)
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contact_tags"); n != 200 {
		t.Errorf("%d tag rows, want 200", n)
	}
}

var (
	_ warehouse.Executor = (*pgxpool.Pool)(nil)
	_ warehouse.Executor = (*pgx.Conn)(nil)
	_ warehouse.Executor = pgx.Tx(nil)
)

func TestUpsert_OnAConnection(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	conn, err := b.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for range 2 {
		if _, err := b.Warehouse.Upsert(ctx, conn.Conn(), "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{contactRow(1, "A", 1), contactRow(2, "B")}}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := b.Warehouse.Upsert(ctx, conn.Conn(), "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{contactRow(1, "Changed", 2)}})
	if err != nil || res != (warehouse.UpsertResult{Updated: 1}) {
		t.Fatalf("upsert on a connection = %+v, %v, want 1 updated", res, err)
	}
}
