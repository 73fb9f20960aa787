package warehouse_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

func TestCheckpoint_HighWaterOnlyMovesForwardUntilReset(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	w := b.Warehouse

	if _, ok, err := w.Checkpoint(ctx, b.Pool, "acme", "contacts"); err != nil || ok {
		t.Fatalf("Checkpoint before any save: ok %v err %v, want none", ok, err)
	}
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		name     string
		save     warehouse.Checkpoint
		wantTime time.Time
		wantID   int64
	}{
		{"first save", warehouse.Checkpoint{HighWaterTime: base, HighWaterID: 50}, base, 50},
		{"same time, higher id advances", warehouse.Checkpoint{HighWaterTime: base, HighWaterID: 60}, base, 60},
		{"same time, lower id is kept back", warehouse.Checkpoint{HighWaterTime: base, HighWaterID: 10}, base, 60},
		{"older time is kept back", warehouse.Checkpoint{HighWaterTime: base.Add(-time.Hour), HighWaterID: 999}, base, 60},
		{"no mark keeps the stored one", warehouse.Checkpoint{}, base, 60},
		{"newer time advances", warehouse.Checkpoint{HighWaterTime: base.Add(time.Second), HighWaterID: 1}, base.Add(time.Second), 1},
	}
	for i, s := range steps {
		s.save.Account, s.save.Stream, s.save.Mode, s.save.RunID = "acme", "contacts", "time_filter", int64(i+1)
		got, err := w.SaveCheckpoint(ctx, b.Pool, s.save)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !got.HighWaterTime.Equal(s.wantTime) || got.HighWaterID != s.wantID {
			t.Errorf("%s: high water = %s/%d, want %s/%d", s.name, got.HighWaterTime, got.HighWaterID, s.wantTime, s.wantID)
		}
		// The run always follows the latest save.
		if got.RunID != int64(i+1) {
			t.Errorf("%s: run = %d, want the saved one, %d", s.name, got.RunID, i+1)
		}
	}
	stored, ok, err := w.Checkpoint(ctx, b.Pool, "acme", "contacts")
	if err != nil || !ok || !stored.HighWaterTime.Equal(base.Add(time.Second)) {
		t.Fatalf("Checkpoint = %+v %v %v", stored, ok, err)
	}

	if err := w.ResetCheckpoint(ctx, b.Pool, "acme", "contacts"); err != nil {
		t.Fatal(err)
	}
	got, err := w.SaveCheckpoint(ctx, b.Pool, warehouse.Checkpoint{Account: "acme", Stream: "contacts", Mode: "full_scan", HighWaterTime: base.Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !got.HighWaterTime.Equal(base.Add(-24*time.Hour)) || got.Mode != "full_scan" {
		t.Errorf("after reset = %+v, want the older mark and new mode accepted", got)
	}
	if _, err := w.SaveCheckpoint(ctx, b.Pool, warehouse.Checkpoint{Account: "acme"}); err == nil {
		t.Error("saving a checkpoint without stream and mode succeeded")
	}
}

func TestSyncRun_LifecycleCountersAndFreshness(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	w := b.Warehouse

	run, err := startRun(ctx, w, b.Pool, "acme", "contacts", warehouse.TriggerSchedule)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != warehouse.RunRunning || run.StartedAt.IsZero() || run.ID == 0 {
		t.Fatalf("StartRun = %+v", run)
	}
	page := warehouse.UpsertResult{Inserted: 3, Updated: 2, Unchanged: 5}.Progress()
	page.APICalls = 1
	for range 2 {
		if err := w.AddRunProgress(ctx, b.Pool, run.ID, page); err != nil {
			t.Fatal(err)
		}
	}
	resume := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	if err := w.PauseRun(ctx, b.Pool, run.ID, resume, "keap: daily quota exhausted"); err != nil {
		t.Fatal(err)
	}
	paused, err := w.Run(ctx, b.Pool, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if paused.Status != warehouse.RunPausedQuota || !paused.ResumeAt.Equal(resume) || paused.LastError != "keap: daily quota exhausted" {
		t.Errorf("paused run = %+v", paused)
	}
	if err := w.ResumeRun(ctx, b.Pool, run.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.AddRunProgress(ctx, b.Pool, run.ID, warehouse.RunProgress{RowsDeleted: 4, APICalls: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.FinishRun(ctx, b.Pool, run.ID, warehouse.RunSucceeded, ""); err != nil {
		t.Fatal(err)
	}
	done, err := w.Run(ctx, b.Pool, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := warehouse.RunProgress{Pages: 2, RowsInserted: 6, RowsUpdated: 4, RowsUnchanged: 10, RowsDeleted: 4, APICalls: 3}
	if done.RunProgress != want || done.Status != warehouse.RunSucceeded || done.FinishedAt.IsZero() || !done.ResumeAt.IsZero() {
		t.Errorf("finished run = %+v, want counters %+v", done, want)
	}
	if done.LastError != "keap: daily quota exhausted" {
		t.Errorf("last error %q was not kept", done.LastError)
	}

	// A final run takes no more updates.
	for name, err := range map[string]error{
		"progress": w.AddRunProgress(ctx, b.Pool, run.ID, page),
		"finish":   w.FinishRun(ctx, b.Pool, run.ID, warehouse.RunFailed, "late"),
		"pause":    w.PauseRun(ctx, b.Pool, run.ID, resume, ""),
		"unknown":  w.ResumeRun(ctx, b.Pool, run.ID+1000),
	} {
		if !errors.Is(err, warehouse.ErrRunNotActive) {
			t.Errorf("%s on a final run: %v, want ErrRunNotActive", name, err)
		}
	}
	if _, err := startRun(ctx, w, b.Pool, "acme", "contacts", "cron"); !errors.Is(err, warehouse.ErrInvalidRunState) {
		t.Errorf("StartRun with an unknown trigger: %v", err)
	}
	if err := w.FinishRun(ctx, b.Pool, run.ID, warehouse.RunPausedQuota, ""); !errors.Is(err, warehouse.ErrInvalidRunState) {
		t.Errorf("FinishRun with a non-final status: %v", err)
	}

	// A later failed run shows as the latest status; freshness still
	// reports the last success.
	failed, err := startRun(ctx, w, b.Pool, "acme", "contacts", warehouse.TriggerRetry)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.FinishRun(ctx, b.Pool, failed.ID, warehouse.RunFailed, "keap: list contacts: status 500"); err != nil {
		t.Fatal(err)
	}
	var (
		lastSuccess time.Time
		lag         time.Duration
		inserted    int64
		latest      string
	)
	err = b.Pool.QueryRow(ctx, fmt.Sprintf(`SELECT last_success_at, lag, last_success_rows_inserted, latest_status
		FROM %s.freshness WHERE account = 'acme' AND stream = 'contacts'`, pgx.Identifier{b.Config.DataSchema}.Sanitize())).
		Scan(&lastSuccess, &lag, &inserted, &latest)
	if err != nil {
		t.Fatal(err)
	}
	if !lastSuccess.Equal(done.FinishedAt) || inserted != 6 || latest != "failed" || lag < 0 {
		t.Errorf("freshness = %s %s %d %s, want the success at %s, 6 inserted, latest failed", lastSuccess, lag, inserted, latest, done.FinishedAt)
	}
}

func TestRefreshCustomFieldView_NamedTypedColumnsRegeneratedOnChange(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	w := b.Warehouse
	def := func(id int64, label, name, typ string) warehouse.Row {
		return warehouse.Row{ID: id, Raw: []byte(fmt.Sprintf(`{"id":"%d"}`, id)),
			Values: &warehouse.ContactCustomFieldsRow{Label: new(label), FieldName: new(name), FieldType: new(typ)}}
	}
	defs := warehouse.Page{Account: "acme", Rows: []warehouse.Row{
		def(1, "Shoe size", "shoeSize", "WHOLE_NUMBER"),
		def(2, "Renewal", "", "DATE"),
		def(3, "VIP?", "vip", "YES_NO"),
		def(4, "Budget", "budget", "CURRENCY"),
		def(5, "Shoe size!", "shoe size", "TEXT"), // same column name as field 1
	}}
	if _, err := w.Upsert(ctx, b.Pool, "contact_custom_fields", defs); err != nil {
		t.Fatal(err)
	}
	contact := warehouse.Row{ID: 100, Values: &warehouse.ContactsRow{GivenName: new("Ann")},
		Raw: []byte(`{"id":"100","custom_fields":[{"id":"1","content":44},{"id":"2","content":"2026-05-01"},
			{"id":"3","content":"Yes"},{"id":"4","content":"12.50"},{"id":"5","content":"wide"}]}`)}
	odd := warehouse.Row{ID: 101, Values: &warehouse.ContactsRow{},
		Raw: []byte(`{"id":"101","custom_fields":[{"id":"1","content":"forty"},{"id":"2","content":"2026-02-31"},{"id":"4","content":{"x":1}}]}`)}
	if _, err := w.Upsert(ctx, b.Pool, "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{contact, odd}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.RefreshCustomFieldView(ctx, b.Pool, "contacts")
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("view has %d custom columns, want 5", n)
	}
	view := pgx.Identifier{b.Config.DataSchema, "contacts_custom"}.Sanitize()
	var (
		shoe     *int64
		renewal  *time.Time
		vip      *bool
		budget   *float64
		shoeText *string
	)
	err = b.Pool.QueryRow(ctx, "SELECT shoesize, renewal, vip, budget::float8, shoe_size FROM "+view+" WHERE id = 100").
		Scan(&shoe, &renewal, &vip, &budget, &shoeText)
	if err != nil {
		t.Fatal(err)
	}
	if shoe == nil || *shoe != 44 || renewal == nil || renewal.Format("2006-01-02") != "2026-05-01" ||
		vip == nil || !*vip || budget == nil || *budget != 12.5 || shoeText == nil || *shoeText != "wide" {
		t.Errorf("typed values = %v %v %v %v %v", shoe, renewal, vip, budget, shoeText)
	}
	// Odd values read as NULL instead of failing the view.
	var oddShoe *int64
	var oddRenewal *time.Time
	var oddBudget *float64
	if err := b.Pool.QueryRow(ctx, "SELECT shoesize, renewal, budget::float8 FROM "+view+" WHERE id = 101").Scan(&oddShoe, &oddRenewal, &oddBudget); err != nil {
		t.Fatal(err)
	}
	if oddShoe != nil || oddRenewal != nil || oddBudget != nil {
		t.Errorf("odd values = %v %v %v, want NULL", oddShoe, oddRenewal, oddBudget)
	}

	// A removed field disappears from the view after a refresh.
	if _, err := w.SoftDelete(ctx, b.Pool, "contact_custom_fields", "acme", 0, []int64{3}); err != nil {
		t.Fatal(err)
	}
	if n, err := w.RefreshCustomFieldView(ctx, b.Pool, "contacts"); err != nil || n != 4 {
		t.Fatalf("refresh after delete = %d, %v, want 4 columns", n, err)
	}
	var vipCols int
	err = b.Pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'contacts_custom' AND column_name = 'vip'`,
		b.Config.DataSchema).Scan(&vipCols)
	if err != nil || vipCols != 0 {
		t.Errorf("deleted field still a column (%d, %v)", vipCols, err)
	}
	if _, err := w.RefreshCustomFieldView(ctx, b.Pool, "pets"); err == nil {
		t.Error("refreshing an entity without custom fields succeeded")
	}
}

func TestTables_MatchTheMigratedSchema(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	columns := func(table string) map[string]string {
		rows, err := b.Pool.Query(ctx, `SELECT column_name, CASE WHEN data_type = 'ARRAY' THEN substr(udt_name, 2) || '[]' ELSE data_type END
			FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`, b.Config.DataSchema, table)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		var name, typ string
		if _, err := pgx.ForEachRow(rows, []any{&name, &typ}, func() error { got[name] = typ; return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	pgName := func(c warehouse.ColumnType) string {
		if c == warehouse.BigIntArray {
			return "int8[]"
		}
		return c.String()
	}
	for _, tbl := range warehouse.Tables() {
		got := columns(tbl.Name)
		want := map[string]string{"account": "text", "id": "bigint", "raw": "jsonb", "_problems": "jsonb", "_hash": "bytea",
			"_synced_at": "timestamp with time zone", "_sync_run_id": "bigint", "_deleted_at": "timestamp with time zone"}
		for _, c := range tbl.Columns {
			want[c.Name] = pgName(c.Type)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: database columns %v, descriptor %v", tbl.Name, got, want)
		}
		for _, ch := range tbl.Children {
			got := columns(ch.Name)
			want := map[string]string{"account": "text", ch.ParentColumn: "bigint", "position": "integer"}
			for _, c := range ch.Columns {
				want[c.Name] = pgName(c.Type)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: database columns %v, descriptor %v", ch.Name, got, want)
			}
		}
	}
	// Every table and column carries a comment for analysts' tools.
	var uncommented []string
	rows, err := b.Pool.Query(ctx, `SELECT c.relname || '.' || a.attname FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
		AND col_description(c.oid, a.attnum) IS NULL`, b.Config.DataSchema)
	if err != nil {
		t.Fatal(err)
	}
	var col string
	if _, err := pgx.ForEachRow(rows, []any{&col}, func() error { uncommented = append(uncommented, col); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(uncommented) > 0 {
		t.Errorf("columns without a comment: %v", uncommented)
	}
}

func TestRefreshCustomFieldView_AccountsShareColumnsByName(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	w := b.Warehouse
	def := func(id int64, name, typ string) warehouse.Row {
		return warehouse.Row{ID: id, Raw: []byte(`{}`), Values: &warehouse.CompanyCustomFieldsRow{Label: new(name), FieldName: new(name), FieldType: new(typ)}}
	}
	// Account a's "tier" is field 1, a number; account b's is field 7, text.
	for acct, d := range map[string]warehouse.Row{"a": def(1, "tier", "WHOLE_NUMBER"), "b": def(7, "tier", "TEXT")} {
		if _, err := w.Upsert(ctx, b.Pool, "company_custom_fields", warehouse.Page{Account: acct, Rows: []warehouse.Row{d}}); err != nil {
			t.Fatal(err)
		}
	}
	for acct, raw := range map[string]string{
		"a": `{"custom_fields":[{"id":"1","content":3},{"id":"7","content":"not a's"}]}`,
		"b": `{"custom_fields":[{"id":"1","content":"not b's"},{"id":"7","content":"gold"}]}`,
	} {
		if _, err := w.Upsert(ctx, b.Pool, "companies", warehouse.Page{Account: acct, Rows: []warehouse.Row{{ID: 5, Raw: []byte(raw), Values: &warehouse.CompaniesRow{}}}}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := w.RefreshCustomFieldView(ctx, b.Pool, "companies"); err != nil || n != 1 {
		t.Fatalf("refresh = %d, %v, want one shared column", n, err)
	}
	rows, err := b.Pool.Query(ctx, "SELECT account, tier FROM "+pgx.Identifier{b.Config.DataSchema, "companies_custom"}.Sanitize()+" ORDER BY account")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var acct, tier string
		err := r.Scan(&acct, &tier)
		return acct + "=" + tier, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[a=3 b=gold]" {
		t.Errorf("tier per account = %v, want [a=3 b=gold] (text, as the types differ)", got)
	}
}
