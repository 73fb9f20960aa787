package warehouse_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

// cfEnv is a migrated warehouse for custom-field view tests.
type cfEnv struct {
	t *testing.T
	b warehousetest.Bundle
}

func newCFEnv(t *testing.T) *cfEnv {
	t.Helper()
	return &cfEnv{t: t, b: warehousetest.New(t, 2)}
}

// field is a contact custom field definition; a nil name or label is NULL.
type field struct {
	id          int64
	label, name *string
	typ         string
}

// define upserts definitions of account's contact custom fields. The raw
// record holds the label, so a changed label is a changed row.
func (e *cfEnv) define(account string, fields ...field) {
	e.t.Helper()
	rows := make([]warehouse.Row, len(fields))
	for i, f := range fields {
		raw, _ := json.Marshal(map[string]any{"id": fmt.Sprint(f.id), "label": f.label, "field_name": f.name, "field_type": f.typ})
		rows[i] = warehouse.Row{ID: f.id, Raw: raw,
			Values: &warehouse.ContactCustomFieldsRow{Label: f.label, FieldName: f.name, FieldType: new(f.typ)}}
	}
	if _, err := e.b.Warehouse.Upsert(context.Background(), e.b.Pool, "contact_custom_fields", warehouse.Page{Account: account, Rows: rows}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *cfEnv) remove(account string, ids ...int64) {
	e.t.Helper()
	if _, err := e.b.Warehouse.SoftDelete(context.Background(), e.b.Pool, "contact_custom_fields", account, 0, ids); err != nil {
		e.t.Fatal(err)
	}
}

// contact stores a contact of account with custom field values by field id.
func (e *cfEnv) contact(account string, id int64, values map[int64]any) {
	e.t.Helper()
	var cfs []map[string]any
	for fid, v := range values {
		cfs = append(cfs, map[string]any{"id": fmt.Sprint(fid), "content": v})
	}
	raw, _ := json.Marshal(map[string]any{"id": fmt.Sprint(id), "custom_fields": cfs})
	row := warehouse.Row{ID: id, Raw: raw, Values: &warehouse.ContactsRow{}}
	if _, err := e.b.Warehouse.Upsert(context.Background(), e.b.Pool, "contacts", warehouse.Page{Account: account, Rows: []warehouse.Row{row}}); err != nil {
		e.t.Fatal(err)
	}
}

// refresh rebuilds contacts_custom and returns its custom columns in order.
func (e *cfEnv) refresh() []string {
	e.t.Helper()
	ctx := context.Background()
	n, err := e.b.Warehouse.RefreshCustomFieldView(ctx, e.b.Pool, "contacts")
	if err != nil {
		e.t.Fatal(err)
	}
	rows, err := e.b.Pool.Query(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = 'contacts_custom' AND column_name NOT IN ('account', 'id', '_deleted_at')
		ORDER BY ordinal_position`, e.b.Config.DataSchema)
	if err != nil {
		e.t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		e.t.Fatal(err)
	}
	if len(cols) != n {
		e.t.Errorf("refresh reported %d columns, the view has %d", n, len(cols))
	}
	return cols
}

// value reads one column of a contact in the view, as text.
func (e *cfEnv) value(account string, id int64, col string) *string {
	e.t.Helper()
	var v *string
	q := fmt.Sprintf("SELECT %s::text FROM %s WHERE account = $1 AND id = $2",
		pgx.Identifier{col}.Sanitize(), pgx.Identifier{e.b.Config.DataSchema, "contacts_custom"}.Sanitize())
	if err := e.b.Pool.QueryRow(context.Background(), q, account, id).Scan(&v); err != nil {
		e.t.Fatalf("reading %s: %v", col, err)
	}
	return v
}

func (e *cfEnv) wantColumns(got []string, want ...string) {
	e.t.Helper()
	if !slices.Equal(got, want) {
		e.t.Errorf("columns %v, want %v", got, want)
	}
}

func (e *cfEnv) wantValue(account string, id int64, col, want string) {
	e.t.Helper()
	if v := e.value(account, id, col); v == nil || *v != want {
		e.t.Errorf("%s of %s/%d = %v, want %q", col, account, id, v, want)
	}
}

func TestRefreshCustomFieldView_ANameStaysWhenItsLabelChangesOrANamesakeIsDeleted(t *testing.T) {
	t.Parallel()
	e := newCFEnv(t)
	e.define("acme", field{id: 1, label: new("Tier"), typ: "TEXT"}, field{id: 2, label: new("tier"), typ: "TEXT"})
	e.contact("acme", 100, map[int64]any{1: "gold", 2: "silver"})
	e.wantColumns(e.refresh(), "tier", "tier_2")

	// Deleting the first "tier" does not move the second into its name.
	e.remove("acme", 1)
	e.wantColumns(e.refresh(), "tier_2")
	e.wantValue("acme", 100, "tier_2", "silver")

	// A new label renames nothing.
	e.define("acme", field{id: 2, label: new("Membership level"), typ: "TEXT"})
	e.wantColumns(e.refresh(), "tier_2")
	e.wantValue("acme", 100, "tier_2", "silver")

	// A deleted field keeps its name: a new namesake gets a suffix, and the
	// deleted field, back, gets its old column.
	e.define("acme", field{id: 3, label: new("Tier"), typ: "TEXT"})
	e.wantColumns(e.refresh(), "tier_2", "tier_3")
	e.define("acme", field{id: 1, label: new("Tier (restored)"), typ: "TEXT"})
	e.wantColumns(e.refresh(), "tier", "tier_2", "tier_3")
	e.wantValue("acme", 100, "tier", "gold")

	// Refreshing again changes nothing.
	e.wantColumns(e.refresh(), "tier", "tier_2", "tier_3")
}

func TestRefreshCustomFieldView_TheFirstFieldSeenKeepsTheNameWhateverItsID(t *testing.T) {
	t.Parallel()
	e := newCFEnv(t)
	e.define("acme", field{id: 20, label: new("Region"), name: new("region"), typ: "TEXT"})
	e.wantColumns(e.refresh(), "region")
	// An older field (smaller id) seen later does not take the name over.
	e.define("acme", field{id: 10, label: new("Region"), name: new("Region"), typ: "TEXT"})
	e.wantColumns(e.refresh(), "region_10", "region")

	var assigned []string
	rows, err := e.b.Pool.Query(context.Background(), fmt.Sprintf(`SELECT field_id || '=' || column_name FROM %s
		WHERE account = 'acme' AND entity = 'contacts' ORDER BY field_id`,
		pgx.Identifier{e.b.Config.StateSchema, "custom_field_columns"}.Sanitize()))
	if err != nil {
		t.Fatal(err)
	}
	if assigned, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(assigned, []string{"10=region_10", "20=region"}) {
		t.Errorf("assignments %v", assigned)
	}
	// Analysts find them in the definitions view.
	rows, err = e.b.Pool.Query(context.Background(), fmt.Sprintf(`SELECT id || '=' || column_name FROM %s
		WHERE account = 'acme' AND entity = 'contacts' ORDER BY id`, pgx.Identifier{e.b.Config.DataSchema, "custom_fields"}.Sanitize()))
	if err != nil {
		t.Fatal(err)
	}
	if listed, err := pgx.CollectRows(rows, pgx.RowTo[string]); err != nil || !slices.Equal(listed, assigned) {
		t.Errorf("custom_fields lists %v (%v), want %v", listed, err, assigned)
	}
}

func TestRefreshCustomFieldView_FieldsWithoutFieldNameOrWithDuplicateLabels(t *testing.T) {
	t.Parallel()
	e := newCFEnv(t)
	// Recorded v2 models send labels without field names.
	e.define("acme",
		field{id: 4, label: new("Favourite Colour"), typ: "DROPDOWN"},
		field{id: 5, label: new("Favourite Colour"), name: new(""), typ: "TEXT"},
		field{id: 6, label: new("favourite-colour!"), name: new("   "), typ: "TEXT"},
		field{id: 7, label: new("Lifetime Score"), typ: "WHOLE_NUMBER"},
	)
	e.contact("acme", 100, map[int64]any{4: "Red", 5: "Blue", 6: "Green", 7: 42})
	e.wantColumns(e.refresh(), "favourite_colour", "favourite_colour_5", "favourite_colour_6", "lifetime_score")
	e.wantValue("acme", 100, "favourite_colour", "Red")
	e.wantValue("acme", 100, "favourite_colour_5", "Blue")
	e.wantValue("acme", 100, "favourite_colour_6", "Green")
	e.wantValue("acme", 100, "lifetime_score", "42")
}

func TestRefreshCustomFieldView_HostileLabelsYieldSafeReadableIdentifiers(t *testing.T) {
	t.Parallel()
	e := newCFEnv(t)
	long := strings.Repeat("Very long label ", 13) // 208 characters
	e.define("acme",
		field{id: 11, label: new(`"; DROP TABLE x; --`), typ: "TEXT"},
		field{id: 12, label: new(long), typ: "TEXT"},
		field{id: 13, label: new(long + " but different at the end"), typ: "TEXT"},
		field{id: 14, label: new("🎉🎉"), typ: "TEXT"},
		field{id: 15, label: new("Order"), typ: "TEXT"},
		field{id: 16, label: new("id"), typ: "TEXT"},
		field{id: 17, label: new("Account"), typ: "TEXT"},
		field{id: 18, label: new("_deleted_at"), typ: "TEXT"},
		field{id: 19, label: new("123 Main St."), typ: "TEXT"},
		field{id: 20, typ: "TEXT"}, // neither label nor name
		field{id: 21, label: new("Tier"), typ: "TEXT"},
		field{id: 22, label: new("TIER "), typ: "TEXT"},
		field{id: 23, label: new("tier?!"), typ: "TEXT"},
		field{id: 24, label: new("Région"), typ: "TEXT"},
	)
	values := map[int64]any{}
	for id := int64(11); id <= 24; id++ {
		values[id] = fmt.Sprint("v", id)
	}
	e.contact("acme", 100, values)
	cols := e.refresh()
	longName := "very_long_label_very_long_label_very_lon"
	e.wantColumns(cols,
		"drop_table_x", longName, longName+"_13", "field", "order_15", "id_16", "account_17", "deleted_at",
		"f_123_main_st", "field_20", "tier", "tier_22", "tier_23", "r_gion")
	safe := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	for i, c := range cols {
		if !safe.MatchString(c) || len(c) > 63 {
			t.Errorf("column %q is not a plain identifier of at most 63 characters", c)
		}
		// Every column reads its own field's value.
		e.wantValue("acme", 100, c, fmt.Sprint("v", 11+i))
	}
	// The data schema still holds every table (nothing was executed).
	var tables int
	if err := e.b.Pool.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'contacts'`,
		e.b.Config.DataSchema).Scan(&tables); err != nil || tables != 1 {
		t.Errorf("contacts table count %d (%v)", tables, err)
	}
}

func TestRefreshCustomFieldView_NamesAreUniquePerAccountAndAccountsShareColumns(t *testing.T) {
	t.Parallel()
	e := newCFEnv(t)
	e.define("a", field{id: 1, label: new("Tier"), typ: "WHOLE_NUMBER"})
	e.define("b", field{id: 7, label: new("Tier"), typ: "WHOLE_NUMBER"}, field{id: 8, label: new("tier"), typ: "TEXT"})
	e.contact("a", 100, map[int64]any{1: 3, 7: "not a's"})
	e.contact("b", 100, map[int64]any{1: "not b's", 7: 5, 8: "gold"})
	// a's field 1 and b's field 7 share "tier" (both numbers); b's second
	// tier is b's alone.
	e.wantColumns(e.refresh(), "tier", "tier_8")
	e.wantValue("a", 100, "tier", "3")
	e.wantValue("b", 100, "tier", "5")
	e.wantValue("b", 100, "tier_8", "gold")
	if v := e.value("a", 100, "tier_8"); v != nil {
		t.Errorf("tier_8 of a = %q, want NULL (a has no such field)", *v)
	}
	// Deleting b's field 7 leaves b's other tier where it is.
	e.remove("b", 7)
	e.wantColumns(e.refresh(), "tier", "tier_8")
	e.wantValue("b", 100, "tier_8", "gold")
}
