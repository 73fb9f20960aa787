package warehouse_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

// safeColumn is what every custom column's name must look like.
var safeColumn = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// checkViewBuilder defines three contact custom fields with the given
// labels and field names (an empty string is NULL) in a transaction,
// rebuilds contacts_custom, and checks the view: every definition has a
// column, every column a plain, unique identifier, and nothing else in the
// schema changed. The transaction is rolled back.
func checkViewBuilder(tb testing.TB, b warehousetest.Bundle, labels, names [3]string, types [3]string) {
	tb.Helper()
	ctx := context.Background()
	tx, err := b.Pool.Begin(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var rows []warehouse.Row
	for i := range 3 {
		nullable := func(s string) *string {
			if s == "" {
				return nil
			}
			return &s
		}
		raw, _ := json.Marshal(map[string]any{"id": i + 1, "label": labels[i], "field_name": names[i], "field_type": types[i]})
		rows = append(rows, warehouse.Row{ID: int64(i + 1), Raw: raw, Values: &warehouse.ContactCustomFieldsRow{
			Label: nullable(labels[i]), FieldName: nullable(names[i]), FieldType: nullable(types[i])}})
	}
	if _, err := b.Warehouse.Upsert(ctx, tx, "contact_custom_fields", warehouse.Page{Account: "acme", Rows: rows}); err != nil {
		tb.Fatalf("upsert %q %q: %v", labels, names, err)
	}
	n, err := b.Warehouse.RefreshCustomFieldView(ctx, tx, "contacts")
	if err != nil {
		tb.Fatalf("refresh with labels %q and names %q: %v", labels, names, err)
	}
	if n != 3 {
		tb.Errorf("labels %q, names %q: %d custom columns, want 3", labels, names, n)
	}
	cols, err := tx.Query(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = 'contacts_custom' AND column_name NOT IN ('account', 'id', '_deleted_at')`, b.Config.DataSchema)
	if err != nil {
		tb.Fatal(err)
	}
	names2, err := pgx.CollectRows(cols, pgx.RowTo[string])
	if err != nil {
		tb.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range names2 {
		if !safeColumn.MatchString(c) || seen[c] {
			tb.Errorf("labels %q, names %q: column %q is not a plain unique identifier", labels, names, c)
		}
		seen[c] = true
	}
	if len(names2) != 3 {
		tb.Errorf("labels %q, names %q: view columns %q, want 3", labels, names, names2)
	}
	var tables int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
		b.Config.DataSchema).Scan(&tables); err != nil || tables < 20 {
		tb.Errorf("after labels %q: %d tables in the schema (%v)", labels, tables, err)
	}
}

var cfTypes = []string{"TEXT", "WHOLE_NUMBER", "DATE", "YES_NO", "DECIMAL_NUMBER", "DROPDOWN", "Text", "", "???"}

// text turns fuzzer bytes into text Postgres can hold (no NUL, valid
// UTF-8), as the warehouse would receive it.
func text(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

func FuzzCustomFieldViewNames(f *testing.F) {
	b := warehousetest.New(f, 2)
	f.Add("Favourite Colour", "FavouriteColour", "Favourite Colour", "", `"; DROP TABLE x; --`, "id", uint8(0))
	f.Add(strings.Repeat("é", 200), "", "😀 emoji", "Order", "123 Main St.", "_deleted_at", uint8(3))
	f.Fuzz(func(t *testing.T, l1, n1, l2, n2, l3, n3 string, k uint8) {
		types := [3]string{cfTypes[int(k)%len(cfTypes)], cfTypes[int(k/3)%len(cfTypes)], cfTypes[int(k/9)%len(cfTypes)]}
		checkViewBuilder(t, b, [3]string{text(l1), text(l2), text(l3)}, [3]string{text(n1), text(n2), text(n3)}, types)
	})
}

// TestRefreshCustomFieldView_FuzzedBriefly gives FuzzCustomFieldViewNames'
// property a few seconds of random labels and names in the normal test
// run: hostile pieces, long runs, collisions after normalisation.
func TestRefreshCustomFieldView_FuzzedBriefly(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	pieces := []string{"Name", "name", "NAME ", "_", "__", "id", "account", "_deleted_at", "order", "select", "1", "9x",
		`"`, "'", ";", "--", "DROP TABLE contacts", "😀", "é", "Ω", " ", "\t", "-", "%", "$1", "\\", "ⓐ", "ß", "İ"}
	gen := func() string {
		if rng.IntN(6) == 0 {
			return ""
		}
		var sb strings.Builder
		for range 1 + rng.IntN(6) {
			p := pieces[rng.IntN(len(pieces))]
			if rng.IntN(8) == 0 {
				p = strings.Repeat(p, 20+rng.IntN(60))
			}
			sb.WriteString(p)
		}
		return sb.String()
	}
	deadline := time.Now().Add(3 * time.Second)
	for n := 0; time.Now().Before(deadline); n++ {
		labels, names := [3]string{gen(), gen(), gen()}, [3]string{gen(), gen(), gen()}
		if rng.IntN(3) == 0 { // collide after normalisation
			labels[1], names[1] = strings.ToUpper(labels[0])+" ", names[0]
		}
		for i := range 3 {
			if !utf8.ValidString(labels[i]) || !utf8.ValidString(names[i]) {
				t.Fatal("generator made invalid UTF-8")
			}
		}
		types := [3]string{cfTypes[rng.IntN(len(cfTypes))], cfTypes[rng.IntN(len(cfTypes))], cfTypes[rng.IntN(len(cfTypes))]}
		checkViewBuilder(t, b, labels, names, types)
		if t.Failed() {
			t.Fatalf("failed on case %d (seed %d)", n, seed)
		}
	}
}
