package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
)

// simRecord is the part of a simulator record the typed checks compare.
type simRecord struct {
	ID             string `json:"id"`
	EmailAddresses []struct {
		Email string `json:"email"`
		Field string `json:"field"`
	} `json:"email_addresses"`
	PhoneNumbers []json.RawMessage `json:"phone_numbers"`
	Addresses    []json.RawMessage `json:"addresses"`
	TagIDs       []string          `json:"tag_ids"`
	Company      *struct {
		ID string `json:"id"`
	} `json:"company"`
	Total *struct {
		FormattedAmount string `json:"formatted_amount"`
		CurrencyCode    string `json:"currency_code"`
	} `json:"total"`
	OrderItems []json.RawMessage `json:"order_items"`
}

func TestSync_TypedColumnsAndChildRowsMatchTheSimulator(t *testing.T) {
	t.Parallel()
	e := setup(t, []testAccount{unthrottled("acme", 1500)}, nil)
	e.start()
	e.sync(jobs.SyncRequest{}, 2*time.Minute)
	e.assertMatchesTruth("acme")
	ctx := context.Background()
	sim := e.sims["acme"]
	table := func(name string) string { return pgx.Identifier{e.mig.DataSchema, name}.Sanitize() }
	query := func(sql string, args ...any) pgx.Rows {
		t.Helper()
		rows, err := e.pool.Query(ctx, sql, args...)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}

	// The simulator's records are all well formed: no row has a problem.
	for _, s := range keap.Streams {
		var n, problems int
		err := e.pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*), count(_problems) FROM %s WHERE account = 'acme'`, table(s.Name))).Scan(&n, &problems)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 || problems != 0 {
			t.Errorf("%s: %d rows, %d with problems", s.Name, n, problems)
		}
	}

	// Contacts: the primary email, the company, and as many child rows as
	// the record's lists, emails in the record's order.
	truth, err := sim.Records("contacts", streamFieldsOf(t, "contacts"))
	if err != nil {
		t.Fatal(err)
	}
	type contactRow struct {
		email, companyID                 *string
		emails                           string
		phones, addresses, tags, tagSums int64
	}
	got := map[int64]contactRow{}
	rows := query(fmt.Sprintf(`
		SELECT c.id, c.email, c.company_id::text,
			(SELECT coalesce(string_agg(coalesce(e.field, '') || '=' || coalesce(e.email, ''), ' ' ORDER BY e.position), '')
				FROM %[2]s e WHERE e.account = c.account AND e.contact_id = c.id),
			(SELECT count(*) FROM %[3]s p WHERE p.account = c.account AND p.contact_id = c.id),
			(SELECT count(*) FROM %[4]s a WHERE a.account = c.account AND a.contact_id = c.id),
			(SELECT count(*) FROM %[5]s g WHERE g.account = c.account AND g.contact_id = c.id),
			(SELECT coalesce(sum(g.tag_id), 0) FROM %[5]s g WHERE g.account = c.account AND g.contact_id = c.id)
		FROM %[1]s c WHERE c.account = 'acme'`,
		table("contacts"), table("contact_email_addresses"), table("contact_phone_numbers"),
		table("contact_addresses"), table("contact_tags")))
	var id int64
	var r contactRow
	if _, err := pgx.ForEachRow(rows, []any{&id, &r.email, &r.companyID, &r.emails, &r.phones, &r.addresses, &r.tags, &r.tagSums},
		func() error { got[id] = r; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(truth) {
		t.Fatalf("%d contacts in the warehouse, %d in Keap", len(got), len(truth))
	}
	var withEmail, withTags int
	for _, tr := range truth {
		var rec simRecord
		if err := json.Unmarshal(tr.Raw, &rec); err != nil {
			t.Fatal(err)
		}
		g := got[tr.ID]
		var emails []string
		var primary *string
		for i, a := range rec.EmailAddresses {
			emails = append(emails, a.Field+"="+a.Email)
			if a.Field == "EMAIL1" || primary == nil {
				primary = &rec.EmailAddresses[i].Email
			}
		}
		var tagSum int64
		for _, tag := range rec.TagIDs {
			var n int64
			fmt.Sscan(tag, &n)
			tagSum += n
		}
		var company *string
		if rec.Company != nil {
			company = &rec.Company.ID
		}
		switch {
		case g.emails != strings.Join(emails, " "):
			t.Errorf("contact %d: email rows %q, want %q", tr.ID, g.emails, strings.Join(emails, " "))
		case fmt.Sprint(deref(g.email)) != fmt.Sprint(deref(primary)):
			t.Errorf("contact %d: email %v, want %v", tr.ID, deref(g.email), deref(primary))
		case fmt.Sprint(deref(g.companyID)) != fmt.Sprint(deref(company)):
			t.Errorf("contact %d: company_id %v, want %v", tr.ID, deref(g.companyID), deref(company))
		case g.phones != int64(len(rec.PhoneNumbers)) || g.addresses != int64(len(rec.Addresses)) ||
			g.tags != int64(len(rec.TagIDs)) || g.tagSums != tagSum:
			t.Errorf("contact %d: %d phones, %d addresses, %d tags (ids adding up to %d); the record has %d, %d, %d (%d)",
				tr.ID, g.phones, g.addresses, g.tags, g.tagSums, len(rec.PhoneNumbers), len(rec.Addresses), len(rec.TagIDs), tagSum)
		}
		if primary != nil {
			withEmail++
		}
		if len(rec.TagIDs) > 0 {
			withTags++
		}
	}
	if withEmail == 0 || withTags == 0 {
		t.Errorf("%d contacts with an email, %d with tags: the check compared nothing", withEmail, withTags)
	}

	// Orders: totals to the cent, as many items as the record, adding up
	// to the total.
	orders, err := sim.Records("orders", streamFieldsOf(t, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	type orderRow struct {
		total, currency, itemSum string
		items                    int64
	}
	gotOrders := map[int64]orderRow{}
	rows = query(fmt.Sprintf(`
		SELECT o.id, o.total::text, o.currency_code, count(i.position), coalesce(sum(i.price_per_unit * i.quantity), 0)::text
		FROM %s o LEFT JOIN %s i ON i.account = o.account AND i.order_id = o.id
		WHERE o.account = 'acme' GROUP BY o.id, o.total, o.currency_code`, table("orders"), table("order_items")))
	var o orderRow
	if _, err := pgx.ForEachRow(rows, []any{&id, &o.total, &o.currency, &o.items, &o.itemSum},
		func() error { gotOrders[id] = o; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(gotOrders) != len(orders) {
		t.Fatalf("%d orders in the warehouse, %d in Keap", len(gotOrders), len(orders))
	}
	for _, tr := range orders {
		var rec simRecord
		if err := json.Unmarshal(tr.Raw, &rec); err != nil {
			t.Fatal(err)
		}
		g := gotOrders[tr.ID]
		want := strings.TrimPrefix(rec.Total.FormattedAmount, "$")
		if g.total != want || g.itemSum != want || g.currency != rec.Total.CurrencyCode || g.items != int64(len(rec.OrderItems)) {
			t.Errorf("order %d: total %s %s, %d items adding up to %s; want %s %s, %d items", tr.ID,
				g.total, g.currency, g.items, g.itemSum, want, rec.Total.CurrencyCode, len(rec.OrderItems))
		}
	}

	// Custom field definitions are typed too, and feed the named views.
	var defs, untyped int
	err = e.pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*), count(*) FILTER (WHERE label IS NULL OR field_type IS NULL OR group_id IS NULL)
		FROM %s WHERE account = 'acme'`, table("contact_custom_fields"))).Scan(&defs, &untyped)
	if err != nil || defs == 0 || untyped != 0 {
		t.Errorf("contact custom fields: %d, %d without label, type or group (%v)", defs, untyped, err)
	}

	// Every record's custom field values read back from its entity's named
	// view (contacts_custom, ..., subscriptions_custom), by name and typed,
	// as the record holds them: every entity with a custom-field model.
	var entities int
	for _, def := range keap.Streams {
		if def.CustomFieldsOf == "" {
			continue
		}
		entities++
		checkCustomFieldView(t, e, sim, def.CustomFieldsOf)
	}
	if entities < 7 {
		t.Errorf("%d entities with custom fields, want contacts, companies, opportunities, orders, notes, tasks and subscriptions", entities)
	}
}

// checkCustomFieldView compares entity's named view with the simulator's
// records, value by value.
func checkCustomFieldView(t *testing.T, e *env, sim *keapsim.Server, entity string) {
	t.Helper()
	ctx := context.Background()
	table := func(name string) string { return pgx.Identifier{e.mig.DataSchema, name}.Sanitize() }
	columns := map[string]string{} // field id -> view column
	rows, err := e.pool.Query(ctx, fmt.Sprintf(`SELECT id::text, column_name FROM %s WHERE account = 'acme' AND entity = $1`, table("custom_fields")), entity)
	if err != nil {
		t.Fatal(err)
	}
	var fieldID, column string
	if _, err := pgx.ForEachRow(rows, []any{&fieldID, &column}, func() error { columns[fieldID] = column; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(columns) == 0 {
		t.Fatalf("no %s custom field has a view column", entity)
	}
	truth, err := sim.Records(entity, streamFieldsOf(t, entity))
	if err != nil {
		t.Fatal(err)
	}
	var checked int
	for _, tr := range truth {
		var rec struct {
			CustomFields []struct {
				ID      string          `json:"id"`
				Content json.RawMessage `json:"content"`
			} `json:"custom_fields"`
		}
		if err := json.Unmarshal(tr.Raw, &rec); err != nil {
			t.Fatal(err)
		}
		for _, cf := range rec.CustomFields {
			col, ok := columns[cf.ID]
			if !ok {
				t.Fatalf("%s %d: custom field %s has no view column", entity, tr.ID, cf.ID)
			}
			var got *string
			err := e.pool.QueryRow(ctx, fmt.Sprintf(`SELECT %s::text FROM %s WHERE account = 'acme' AND id = $1`,
				pgx.Identifier{col}.Sanitize(), table(entity+"_custom")), tr.ID).Scan(&got)
			if err != nil {
				t.Fatal(err)
			}
			var want *string
			if string(cf.Content) != "null" {
				var v any
				if err := json.Unmarshal(cf.Content, &v); err != nil {
					t.Fatal(err)
				}
				w := fmt.Sprint(v)
				want = &w
			}
			if (got == nil) != (want == nil) || (got != nil && *got != *want) {
				t.Errorf("%s %d, %s: view reads %v, the record holds %s", entity, tr.ID, col, orNULL(got), cf.Content)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Errorf("no %s custom field value was checked", entity)
	}
}

func orNULL(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

func streamFieldsOf(t *testing.T, name string) []string {
	t.Helper()
	s, ok := keap.StreamByName(name)
	if !ok {
		t.Fatalf("no stream %s", name)
	}
	return streamFields(s)
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
