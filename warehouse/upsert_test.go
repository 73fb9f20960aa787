package warehouse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

func contactRow(id int64, name string, tags ...int64) warehouse.Row {
	raw, _ := json.Marshal(map[string]any{"id": fmt.Sprint(id), "given_name": name, "tag_ids": tags})
	c := &warehouse.ContactsRow{
		GivenName:  new(name),
		UpdateTime: new(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)),
		EmailAddresses: []warehouse.ContactEmailAddressesRow{
			{Field: new("EMAIL1"), Email: new(name + "@example.com"), IsOptIn: new(true)},
		},
	}
	for _, tag := range tags {
		c.Tags = append(c.Tags, warehouse.ContactTagsRow{TagID: new(tag)})
	}
	return warehouse.Row{ID: id, Raw: raw, Values: c}
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
	odd.Values.(*warehouse.ContactsRow).FamilyName = new("bad\x00nul")
	odd.Values.(*warehouse.ContactsRow).ScoreValue = new("\xff\xfe not utf-8")
	odd.Problems = []warehouse.Problem{{Field: "birth_date", Reason: "not a date: 31/02/1990"}}
	odd.Raw = []byte(`{"id":"1","given_name":"Odd","birth_date":"31/02/1990","notes":"nul \u0000 inside, escaped \\u0000 not","title":"` + "bad \xff\xfe bytes" + `"}`)
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
	if raw["birth_date"] != "31/02/1990" || raw["notes"] != "nul \ufffd inside, escaped \\u0000 not" || raw["title"] != "bad \ufffd bytes" {
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

	noValues := contactRow(2, "Bob")
	noValues.Values = nil
	nilValues := contactRow(2, "Bob")
	nilValues.Values = (*warehouse.ContactsRow)(nil)
	otherTable := contactRow(2, "Bob")
	otherTable.Values = &warehouse.CompaniesRow{CompanyName: new("Acme")}
	noRaw := contactRow(2, "Bob")
	noRaw.Raw = nil

	tests := []struct {
		name  string
		table string
		page  warehouse.Page
		want  error
	}{
		{"no values", "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{contactRow(1, "Ann"), noValues}}, warehouse.ErrInvalidPage},
		{"nil values", "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{nilValues}}, warehouse.ErrInvalidPage},
		{"values of another table", "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{contactRow(1, "Ann"), otherTable}}, warehouse.ErrInvalidPage},
		{"no raw", "contacts", warehouse.Page{Account: "acme", Rows: []warehouse.Row{noRaw}}, warehouse.ErrInvalidPage},
		{"no account", "contacts", warehouse.Page{Rows: []warehouse.Row{contactRow(1, "Ann")}}, warehouse.ErrInvalidPage},
		{"unknown table", "pets", warehouse.Page{Account: "acme", Rows: []warehouse.Row{contactRow(1, "Ann")}}, warehouse.ErrUnknownTable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.Warehouse.Upsert(ctx, b.Pool, tt.table, tt.page)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if warehouse.IsRetryable(err) {
				t.Errorf("IsRetryable(%v) = true, want false", err)
			}
		})
	}
	if n := count(t, b, "SELECT count(*) FROM %s.contacts"); n != 0 {
		t.Errorf("%d rows written by failed pages, want 0", n)
	}
}

func TestUpsert_UnstorableTypedValuesAreNullWithProblems(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()

	order := &warehouse.OrdersRow{
		Title:       new("ok"),
		Total:       new(warehouse.Decimal("12345678901234567890.123456789")),
		TotalPaid:   new(warehouse.Decimal("1.5e3")),
		TotalDue:    new(warehouse.Decimal("12,50")),
		RefundTotal: new(warehouse.Decimal("1e200000")),
		OrderTime:   new(time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)),
		DueTime:     new(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)),
		Items: []warehouse.OrderItemsRow{
			{Name: new("fine"), Quantity: new(int32(2)), PricePerUnit: new(warehouse.Decimal("-0.10"))},
			{Name: new("bad\x00name"), Discount: new(warehouse.Decimal("NaN"))},
		},
	}
	res, err := b.Warehouse.Upsert(ctx, b.Pool, "orders", warehouse.Page{Account: "acme", Rows: []warehouse.Row{{ID: 1, Raw: []byte(`{"id":1}`), Values: order}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 1 {
		t.Fatalf("upsert = %+v, want the order inserted", res)
	}
	var (
		total, paid, due, refund *string
		orderTime, dueTime       *time.Time
		problems                 []warehouse.Problem
	)
	err = b.Pool.QueryRow(ctx, fmt.Sprintf("SELECT total::text, total_paid::text, total_due::text, refund_total::text, order_time, due_time, _problems FROM %s.orders WHERE id = 1",
		pgx.Identifier{b.Config.DataSchema}.Sanitize())).Scan(&total, &paid, &due, &refund, &orderTime, &dueTime, &problems)
	if err != nil {
		t.Fatal(err)
	}
	if total == nil || *total != "12345678901234567890.123456789" || paid == nil || *paid != "1500" {
		t.Errorf("decimals stored as %v, %v, want the exact numbers", total, paid)
	}
	if due != nil || refund != nil || orderTime != nil {
		t.Errorf("unstorable values stored as %v, %v, %v, want NULL", due, refund, orderTime)
	}
	if dueTime == nil || !dueTime.Equal(*order.DueTime) {
		t.Errorf("due_time = %v, want %v", dueTime, order.DueTime)
	}
	got := map[string]bool{}
	for _, p := range problems {
		got[p.Field] = true
	}
	for _, f := range []string{"total_due", "refund_total", "order_time", "order_items[1].name", "order_items[1].discount"} {
		if !got[f] {
			t.Errorf("problems %+v do not record %s", problems, f)
		}
	}
	if len(problems) != 5 {
		t.Errorf("%d problems, want 5: %+v", len(problems), problems)
	}
	if n := count(t, b, "SELECT count(*) FROM %s.order_items WHERE order_id = 1 AND position = 0 AND name = 'fine' AND quantity = 2 AND price_per_unit = -0.10"); n != 1 {
		t.Error("the clean order item was not stored as given")
	}
	if n := count(t, b, "SELECT count(*) FROM %s.order_items WHERE order_id = 1 AND position = 1 AND name IS NULL AND discount IS NULL"); n != 1 {
		t.Error("the odd order item's values are not NULL")
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
	if _, err := w.SaveCheckpoint(ctx, tx, warehouse.Checkpoint{Account: "acme", Stream: "contacts", Mode: "time_filter", HighWaterID: 2}); err != nil {
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

// everyTableRow lists a row of every stream table;
// TestUpsert_EveryFieldLandsInItsColumn checks it covers Tables().
var everyTableRow = []warehouse.TableRow{
	&warehouse.ContactsRow{}, &warehouse.CompaniesRow{}, &warehouse.TagCategoriesRow{}, &warehouse.TagsRow{},
	&warehouse.OpportunitiesRow{}, &warehouse.OrdersRow{}, &warehouse.ProductsRow{}, &warehouse.SubscriptionsRow{},
	&warehouse.PaymentsRow{}, &warehouse.TransactionsRow{}, &warehouse.NotesRow{}, &warehouse.TasksRow{},
	&warehouse.CampaignsRow{}, &warehouse.UsersRow{}, &warehouse.ContactCustomFieldsRow{},
	&warehouse.CompanyCustomFieldsRow{}, &warehouse.OpportunityCustomFieldsRow{}, &warehouse.OrderCustomFieldsRow{},
	&warehouse.OpportunityStagesRow{}, &warehouse.LeadSourceCategoriesRow{}, &warehouse.LeadSourcesRow{},
	&warehouse.ProductCategoriesRow{}, &warehouse.ContactLinkTypesRow{}, &warehouse.NoteCustomFieldsRow{},
	&warehouse.TaskCustomFieldsRow{}, &warehouse.SubscriptionCustomFieldsRow{}, &warehouse.OpportunityStageMovesRow{},
	&warehouse.EmailsRow{}, &warehouse.AffiliatesRow{}, &warehouse.AffiliateCustomFieldsRow{}, &warehouse.AffiliateSummariesRow{},
	&warehouse.AffiliateCommissionProgramsRow{}, &warehouse.AffiliateRedirectsRow{}, &warehouse.AffiliateReferralsRow{},
	&warehouse.UserGroupsRow{}, &warehouse.AutomationCategoriesRow{}, &warehouse.AutomationsRow{}, &warehouse.MerchantsRow{},
	&warehouse.WebformsRow{}, &warehouse.EmailTemplatesRow{}, &warehouse.ShippingMethodsRow{},
}

// sampleValue returns a value for a field of column type ct, distinct for
// each n, and the same value as Postgres text for the column's type.
func sampleValue(ct warehouse.ColumnType, n int) (any, string) {
	switch ct {
	case warehouse.Text:
		s := fmt.Sprintf("text ✓ %d", n)
		return &s, s
	case warehouse.BigInt:
		v := int64(1<<40 + n)
		return &v, fmt.Sprint(v)
	case warehouse.Integer:
		v := int32(n)
		return &v, fmt.Sprint(v)
	case warehouse.Numeric:
		d := warehouse.Decimal(fmt.Sprintf("%d.25", n))
		return &d, string(d)
	case warehouse.Boolean:
		v := n%2 == 0
		return &v, fmt.Sprint(v)
	case warehouse.Timestamptz:
		v := time.Date(2025, 6, 1, 12, 0, n, 0, time.UTC)
		return &v, v.Format(time.RFC3339)
	case warehouse.Date:
		v := time.Date(1990, 2, 1+n%28, 23, 30, 0, 0, time.FixedZone("X", -5*3600))
		return &v, v.Format(time.DateOnly)
	case warehouse.JSONB:
		s := fmt.Sprintf(`[{"id": "%d", "label": "x"}]`, n)
		return json.RawMessage(s), s
	case warehouse.BigIntArray:
		return []int64{1, int64(n)}, fmt.Sprintf("{1,%d}", n)
	}
	panic(fmt.Sprintf("no sample for %s", ct))
}

// fill sets the fields of the struct v points to, the typed columns cols in
// table order, to sample values, and returns the values as Postgres text.
func fill(t *testing.T, v reflect.Value, name string, cols []warehouse.Column, n int) []string {
	t.Helper()
	var want []string
	col := 0
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct {
			continue // child rows
		}
		if col >= len(cols) {
			t.Fatalf("%s: more fields than columns", name)
		}
		val, text := sampleValue(cols[col].Type, n+col)
		if f.Type() != reflect.TypeOf(val) {
			t.Fatalf("%s.%s is %s, want %T for column %s (%s)", name, v.Type().Field(i).Name, f.Type(), val, cols[col].Name, cols[col].Type)
		}
		f.Set(reflect.ValueOf(val))
		want = append(want, text)
		col++
	}
	if col != len(cols) {
		t.Fatalf("%s: %d fields for %d columns", name, col, len(cols))
	}
	return want
}

// TestUpsert_EveryFieldLandsInItsColumn sets every field of every row type
// to a distinct value and finds each in the column of the same position:
// the generated row types, their writeTo methods and the descriptors agree.
func TestUpsert_EveryFieldLandsInItsColumn(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()
	schema := pgx.Identifier{b.Config.DataSchema}.Sanitize()
	byName := map[string]warehouse.TableRow{}
	for _, r := range everyTableRow {
		byName[r.TableName()] = r
	}
	if len(byName) != len(warehouse.Tables()) {
		t.Errorf("everyTableRow has %d tables, Tables() %d", len(byName), len(warehouse.Tables()))
	}
	check := func(table, where string, cols []warehouse.Column, want []string) {
		t.Helper()
		for i, c := range cols {
			var ok bool
			q := fmt.Sprintf("SELECT %s IS NOT DISTINCT FROM ($1::text)::%s FROM %s.%s WHERE %s",
				pgx.Identifier{c.Name}.Sanitize(), c.Type, schema, table, where)
			if err := b.Pool.QueryRow(ctx, q, want[i]).Scan(&ok); err != nil {
				t.Fatalf("%s.%s: %v", table, c.Name, err)
			}
			if !ok {
				t.Errorf("%s.%s does not hold %q", table, c.Name, want[i])
			}
		}
	}
	for _, tbl := range warehouse.Tables() {
		row, ok := byName[tbl.Name]
		if !ok {
			t.Errorf("everyTableRow has no row of %s", tbl.Name)
			continue
		}
		v := reflect.ValueOf(row).Elem()
		want := fill(t, v, tbl.Name, tbl.Columns, 0)
		childWant := map[string][][]string{}
		for _, ch := range tbl.Children {
			// The child rows are the slice of the child's row type
			// (contact_tags: []ContactTagsRow).
			var slice reflect.Value
			for i := range v.NumField() {
				f := v.Field(i)
				if f.Kind() == reflect.Slice && strings.EqualFold(strings.ReplaceAll(ch.Name, "_", "")+"row", f.Type().Elem().Name()) {
					slice = f
				}
			}
			if !slice.IsValid() {
				t.Fatalf("%s has no field for child table %s", tbl.Name, ch.Name)
			}
			slice.Set(reflect.MakeSlice(slice.Type(), 2, 2))
			for pos := range 2 {
				childWant[ch.Name] = append(childWant[ch.Name], fill(t, slice.Index(pos), ch.Name, ch.Columns, 10*(pos+1)))
			}
		}
		res, err := b.Warehouse.Upsert(ctx, b.Pool, tbl.Name, warehouse.Page{Account: "acme", Rows: []warehouse.Row{{ID: 1, Raw: []byte(`{"id":"1"}`), Values: row}}})
		if err != nil {
			t.Errorf("%s: %v", tbl.Name, err)
			continue
		}
		if res.Inserted != 1 {
			t.Errorf("%s: %+v, want 1 inserted", tbl.Name, res)
		}
		check(tbl.Name, "id = 1 AND _problems IS NULL", tbl.Columns, want)
		for _, ch := range tbl.Children {
			for pos, w := range childWant[ch.Name] {
				check(ch.Name, fmt.Sprintf("%s = 1 AND position = %d", pgx.Identifier{ch.ParentColumn}.Sanitize(), pos), ch.Columns, w)
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
