package jobs

// Mapper tests on records read over HTTP from the simulator: v1 contacts
// and the custom-field models.

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/warehouse"
)

// simClient is a keap client of sim without quotas.
func simClient(t *testing.T, sim *keapsim.Server) *keap.Client {
	t.Helper()
	c, err := keap.New(keap.Config{
		BaseURL: sim.URL(), Account: "acme", Credential: keap.NewAPIKey(sim.APIKey()),
		Quota: keap.QuotaConfig{PerSecond: -1, PerMinute: -1, PerDay: -1},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// listAll reads every page of s.
func listAll(t *testing.T, c *keap.Client, s keap.Stream) []keap.Record {
	t.Helper()
	var recs []keap.Record
	var req keap.PageRequest
	for range 1000 {
		page, err := c.ListPage(context.Background(), s, req)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, page.Records...)
		if page.Done {
			return recs
		}
		req.Cursor = page.Next
	}
	t.Fatal("no last page")
	return nil
}

func unlimitedSim(t *testing.T, contacts int) *keapsim.Server {
	return keapsim.New(t, keapsim.Options{Contacts: contacts, PerSecond: -1, PerMinute: -1, PerDay: -1, TenantPerMinute: -1})
}

func TestMapRecord_V1ContactsMapLikeTheirV2Rendering(t *testing.T) {
	t.Parallel()
	sim := unlimitedSim(t, 600)
	c := simClient(t, sim)
	v1 := keap.Stream{
		Name: "contacts", Version: keap.V1, Path: "/v1/contacts", RecordsKey: "contacts", MaxPageSize: 1000,
		Mode: keap.ModeFullScan, OrderBy: "id", OrderDirection: "ASCENDING", IDField: "id", UpdatedField: "last_updated",
		OptionalProperties: []string{"custom_fields", "job_title", "lead_source_id", "website", "time_zone", "spouse_name", "fax_numbers"},
	}
	v1Recs := listAll(t, c, v1)
	v2, err := sim.Records("contacts", stream(t, "contacts").Fields)
	if err != nil {
		t.Fatal(err)
	}
	if len(v1Recs) != len(v2) {
		t.Fatalf("%d v1 records, %d v2", len(v1Recs), len(v2))
	}
	v2Rows := map[int64]*warehouse.ContactsRow{}
	for _, tr := range v2 {
		v2Rows[tr.ID] = mapRecord(stream(t, "contacts"), tr.ID, keap.Record{Raw: tr.Raw}).Values.(*warehouse.ContactsRow)
	}
	page := mapPage(stream(t, "contacts"), warehouse.RunSync, v1Recs)
	var optedIn int
	for i, row := range page.rows {
		if len(row.Problems) > 0 {
			t.Errorf("v1 record %d: problems %+v", row.ID, row.Problems)
		}
		if !bytes.Equal(row.Raw, v1Recs[i].Raw) {
			t.Errorf("v1 record %d: raw changed", row.ID)
		}
		got, want := *row.Values.(*warehouse.ContactsRow), *v2Rows[row.ID]
		// v1 names opt statuses in its own words (SingleOptIn): compare
		// the v2 row without them, and the opt-in itself.
		for i := range want.EmailAddresses {
			if len(got.EmailAddresses) > i {
				eq(t, row.ID, "email_addresses.is_opt_in", got.EmailAddresses[i].IsOptIn, want.EmailAddresses[i].IsOptIn)
				if got.EmailAddresses[i].IsOptIn != nil && *got.EmailAddresses[i].IsOptIn {
					optedIn++
				}
			}
		}
		want.EmailAddresses = stripOptStatus(want.EmailAddresses)
		got.EmailAddresses = stripOptStatus(got.EmailAddresses)
		// Fields the v1 list does not carry.
		want.PreferredName, want.Prefix, want.Suffix, want.ContactType, want.SourceType = nil, nil, nil, nil, nil
		want.BirthDate, want.AnniversaryDate, want.PreferredLocale, want.ReferralCode = nil, nil, nil, nil
		for _, d := range rowDiff(&got, &want) {
			t.Errorf("contact %d: v1 %s", row.ID, d)
		}
	}
	if optedIn == 0 {
		t.Error("no v1 contact mapped as opted in: email_opted_in is not read")
	}
}

func stripOptStatus(rows []warehouse.ContactEmailAddressesRow) []warehouse.ContactEmailAddressesRow {
	out := make([]warehouse.ContactEmailAddressesRow, len(rows))
	for i, r := range rows {
		r.EmailOptStatus, r.IsOptIn = nil, nil
		out[i] = r
	}
	return out
}

func TestMapRecord_CustomFieldModelsFromTheSimulator(t *testing.T) {
	t.Parallel()
	sim := unlimitedSim(t, 50)
	c := simClient(t, sim)
	for _, s := range keap.Streams {
		if s.CustomFieldsOf == "" {
			continue
		}
		recs := listAll(t, c, s)
		if len(recs) == 0 {
			t.Fatalf("%s: no definitions", s.Name)
		}
		page := mapPage(s, warehouse.RunSync, recs)
		for i, row := range page.rows {
			if len(row.Problems) > 0 {
				t.Errorf("%s %d: problems %+v", s.Name, row.ID, row.Problems)
			}
			if row.Values.TableName() != s.Name {
				t.Fatalf("%s: values of %s", s.Name, row.Values.TableName())
			}
			// The definitions' row types differ only in name.
			f := reflect.ValueOf(row.Values).Elem().Convert(reflect.TypeFor[warehouse.ContactCustomFieldsRow]()).Interface().(warehouse.ContactCustomFieldsRow)
			r := decodeRec(t, recs[i].Raw)
			id := row.ID
			eq(t, id, "label", f.Label, r.str("label"))
			eq(t, id, "field_name", f.FieldName, r.str("field_name"))
			eq(t, id, "field_type", f.FieldType, r.str("field_type"))
			eq(t, id, "record_type", f.RecordType, r.str("record_type"))
			eq(t, id, "group_id", f.GroupID, r.id(t, "group_id"))
			eq(t, id, "group_name", f.GroupName, r.str("group_name"))
			if opts := r.list("options"); len(opts) > 0 {
				var got []map[string]string
				if err := json.Unmarshal(f.Options, &got); err != nil || len(got) != len(opts) || got[0]["label"] != *r.str("options", 0, "label") {
					t.Errorf("%s %d: options %s (%v), want %d of them", s.Name, id, f.Options, err, len(opts))
				}
			} else if f.Options != nil {
				t.Errorf("%s %d: options %s for a field without", s.Name, id, f.Options)
			}
		}
	}
}
