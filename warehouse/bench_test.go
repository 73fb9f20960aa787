package warehouse_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

const benchPageSize = 1000

var (
	givenNames  = []string{"Ann", "José", "Zoë", "Björn", "Ōta", "Александр", "李", "محمد", "Siobhán", "Nguyễn", "O'Brien", "Ана-Марија"}
	familyNames = []string{"Smith", "García Márquez", "Müller", "Ødegård", "山田", "Κωνσταντίνου", "Dubois-Lefèvre", "Kowalczyk", "Ng", "ʻAukai"}
	jobTitles   = []string{"CEO", "Directrice générale", "Ingeniero de software", "販売マネージャー", "", "Head of Growth 🚀"}
)

// benchContacts returns a page of realistic contacts with ids from first:
// unicode names, missing fields, long notes, several emails, phones and
// tags. variant changes every record's content.
func benchContacts(first int64, variant int) []warehouse.Row {
	rnd := rand.New(rand.NewPCG(uint64(first), 7))
	created := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]warehouse.Row, benchPageSize)
	for i := range rows {
		id := first + int64(i)
		given, family := givenNames[rnd.IntN(len(givenNames))], familyNames[rnd.IntN(len(familyNames))]
		email := fmt.Sprintf("%s.%d@example.com", strings.ToLower(given), id)
		updated := created.Add(time.Duration(rnd.IntN(5*365*24)) * time.Hour).Add(time.Duration(variant) * time.Minute)
		rec := map[string]any{
			"id": fmt.Sprint(id), "given_name": given, "family_name": family,
			"job_title": jobTitles[rnd.IntN(len(jobTitles))], "owner_id": fmt.Sprint(rnd.IntN(20) + 1),
			"create_time": created.Format(time.RFC3339), "update_time": updated.Format(time.RFC3339),
			"email_addresses": []map[string]any{{"email": email, "field": "EMAIL1", "is_opt_in": rnd.IntN(2) == 0}},
			"phone_numbers":   []map[string]any{{"number": fmt.Sprintf("+1 555 %07d", rnd.IntN(1e7)), "field": "PHONE1", "type": "Mobile"}},
			"addresses":       []map[string]any{{"line1": fmt.Sprintf("%d Rue de l'Église", rnd.IntN(200)), "locality": "Montréal", "region_code": "QC", "country_code": "CA", "field": "BILLING"}},
			"custom_fields":   []map[string]any{{"id": "1", "content": rnd.IntN(100)}, {"id": "2", "content": "note"}},
			"notes":           strings.Repeat("Long free-text note about this contact, with ünïcödé and emoji 🎉. ", rnd.IntN(12)),
		}
		tags := make([]int64, rnd.IntN(6))
		for j := range tags {
			tags[j] = int64(rnd.IntN(300) + 1)
		}
		rec["tag_ids"] = tags
		c := &warehouse.ContactsRow{
			GivenName: new(given), FamilyName: new(family), Email: new(email),
			JobTitle: new(rec["job_title"].(string)), OwnerID: new(int64(rnd.IntN(20) + 1)),
			CreateTime: new(created), UpdateTime: new(updated), SourceType: new("API"), ContactType: new("Lead"),
			EmailAddresses: []warehouse.ContactEmailAddressesRow{{Field: new("EMAIL1"), Email: new(email), IsOptIn: new(true)}},
			PhoneNumbers:   []warehouse.ContactPhoneNumbersRow{{Field: new("PHONE1"), Number: new("+1 555 0100"), Type: new("Mobile")}},
			Addresses: []warehouse.ContactAddressesRow{
				{Field: new("BILLING"), Line1: new("1 Rue de l'Église"), Locality: new("Montréal"), CountryCode: new("CA")},
			},
		}
		if rnd.IntN(3) == 0 {
			c.CompanyID = new(int64(rnd.IntN(5000) + 1))
			c.CompanyName = new("Société Générale de Café")
		}
		if rnd.IntN(4) == 0 {
			c.BirthDate = new(time.Date(1950+rnd.IntN(50), time.Month(rnd.IntN(12)+1), rnd.IntN(28)+1, 0, 0, 0, 0, time.UTC))
		}
		if rnd.IntN(2) == 0 {
			c.Phone = new(fmt.Sprintf("+1 555 %07d", rnd.IntN(1e7)))
		}
		if rnd.IntN(3) == 0 {
			c.EmailAddresses = append(c.EmailAddresses, warehouse.ContactEmailAddressesRow{Field: new("EMAIL2"), Email: new("alt." + email)})
		}
		for _, tag := range tags {
			c.Tags = append(c.Tags, warehouse.ContactTagsRow{TagID: new(tag)})
		}
		raw, err := json.Marshal(rec)
		if err != nil {
			panic(err)
		}
		rows[i] = warehouse.Row{ID: id, Values: c, Raw: raw}
	}
	return rows
}

// rawCopy copies the same rows as Upsert writes, already converted, into
// tables identical to the warehouse's: the ceiling Upsert is measured
// against.
type rawCopy struct {
	schema string
	table  *warehouse.Table
}

func newRawCopy(b *testing.B, wb warehousetest.Bundle) rawCopy {
	ctx := context.Background()
	var table *warehouse.Table
	for _, t := range warehouse.Tables() {
		if t.Name == "contacts" {
			table = t
		}
	}
	schema := wb.Config.DataSchema + "_copy"
	names := []string{"contacts"}
	for _, c := range table.Children {
		names = append(names, c.Name)
	}
	if _, err := wb.Pool.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { wb.Pool.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	for _, n := range names {
		if _, err := wb.Pool.Exec(ctx, fmt.Sprintf("CREATE TABLE %s.%s (LIKE %s.%s INCLUDING ALL)", schema, n, wb.Config.DataSchema, n)); err != nil {
			b.Fatal(err)
		}
	}
	return rawCopy{schema: schema, table: table}
}

// rows converts a page to COPY rows outside the timed section. A row
// type's fields are its table's typed columns in order, then its child rows
// in the order of the child tables.
func (rc rawCopy) rows(page []warehouse.Row) (parents [][]any, children map[string][][]any) {
	children = map[string][][]any{}
	now := time.Now()
	for _, r := range page {
		v := reflect.ValueOf(r.Values).Elem()
		row := append([]any{"acme", r.ID}, columnValues(v, rc.table.Columns)...)
		sum := sha256.Sum256(r.Raw)
		row = append(row, string(r.Raw), nil, sum[:], now, int64(1), nil)
		parents = append(parents, row)
		for i, ch := range rc.table.Children {
			list := v.Field(len(rc.table.Columns) + i)
			for pos := range list.Len() {
				crow := append([]any{"acme", r.ID, int32(pos)}, columnValues(list.Index(pos), ch.Columns)...)
				children[ch.Name] = append(children[ch.Name], crow)
			}
		}
	}
	return parents, children
}

// columnValues returns the first len(cols) fields of the row struct v as
// COPY values.
func columnValues(v reflect.Value, cols []warehouse.Column) []any {
	out := make([]any, len(cols))
	for i, c := range cols {
		f := v.Field(i)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				continue
			}
			f = f.Elem()
		}
		out[i] = f.Interface()
		if d, ok := out[i].(time.Time); ok && c.Type == warehouse.Date {
			out[i] = d.Format(time.DateOnly)
		}
	}
	return out
}

func (rc rawCopy) copy(ctx context.Context, b *testing.B, wb warehousetest.Bundle, parents [][]any, children map[string][][]any) {
	err := pgx.BeginFunc(ctx, wb.Pool, func(tx pgx.Tx) error {
		cols := []string{"account", "id"}
		for _, c := range rc.table.Columns {
			cols = append(cols, c.Name)
		}
		cols = append(cols, "raw", "_problems", "_hash", "_synced_at", "_sync_run_id", "_deleted_at")
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{rc.schema, "contacts"}, cols, pgx.CopyFromRows(parents)); err != nil {
			return err
		}
		for _, ch := range rc.table.Children {
			ccols := []string{"account", ch.ParentColumn, "position"}
			for _, c := range ch.Columns {
				ccols = append(ccols, c.Name)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{rc.schema, ch.Name}, ccols, pgx.CopyFromRows(children[ch.Name])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkUpsert(b *testing.B) {
	ctx := context.Background()
	upsert := func(b *testing.B, wb warehousetest.Bundle, rows []warehouse.Row) warehouse.UpsertResult {
		res, err := wb.Warehouse.Upsert(ctx, wb.Pool, "contacts", warehouse.Page{Account: "acme", RunID: 1, Rows: rows})
		if err != nil {
			b.Fatal(err)
		}
		return res
	}

	b.Run("insert", func(b *testing.B) {
		wb := warehousetest.New(b, 4)
		rc := newRawCopy(b, wb)
		var ours, raw time.Duration
		for i := range b.N {
			b.StopTimer()
			page := benchContacts(int64(i)*benchPageSize+1, 0)
			parents, children := rc.rows(page)
			b.StartTimer()

			start := time.Now()
			if res := upsert(b, wb, page); res.Inserted != benchPageSize {
				b.Fatalf("inserted %+v", res)
			}
			ours += time.Since(start)

			b.StopTimer()
			start = time.Now()
			rc.copy(ctx, b, wb, parents, children)
			raw += time.Since(start)
			b.StartTimer()
		}
		rows := float64(b.N * benchPageSize)
		b.ReportMetric(rows/ours.Seconds(), "rows/s")
		b.ReportMetric(rows/raw.Seconds(), "copy_rows/s")
		b.ReportMetric(raw.Seconds()/ours.Seconds(), "copy_ratio")
	})

	b.Run("update", func(b *testing.B) {
		wb := warehousetest.New(b, 4)
		variants := [][]warehouse.Row{benchContacts(1, 0), benchContacts(1, 1)}
		upsert(b, wb, variants[0])
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			if res := upsert(b, wb, variants[(i+1)%2]); res.Updated != benchPageSize {
				b.Fatalf("updated %+v", res)
			}
		}
		b.ReportMetric(float64(b.N*benchPageSize)/time.Since(start).Seconds(), "rows/s")
	})

	b.Run("unchanged", func(b *testing.B) {
		wb := warehousetest.New(b, 4)
		page := benchContacts(1, 0)
		upsert(b, wb, page)
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			if res := upsert(b, wb, page); res.Unchanged != benchPageSize {
				b.Fatalf("unchanged %+v", res)
			}
		}
		b.ReportMetric(float64(b.N*benchPageSize)/time.Since(start).Seconds(), "rows/s")
	})
}
