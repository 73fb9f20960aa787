package keap_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/keapsync/keapsync/keap"
)

// TestClient_IDRangesSplitAScanExactly reads every IDRange stream of the
// catalogue from the simulator: bounded id ranges, descending order (and
// its resumption by BeforeID), the top of a range in one call, ids-only
// records, and three ranges covering the stream exactly once.
func TestClient_IDRangesSplitAScanExactly(t *testing.T) {
	t.Parallel()
	env := unlimited(t, 400)
	ctx := context.Background()
	tested := 0
	for _, s := range keap.Streams {
		if !s.IDRange {
			continue
		}
		tested++
		t.Run(s.Name, func(t *testing.T) {
			all := ids(t, keap.ListAll(t, env.client, s, keap.PageRequest{}))
			if len(all) < 20 || !slices.IsSorted(all) {
				t.Fatalf("%d ids, sorted %v", len(all), slices.IsSorted(all))
			}
			lo, hi := all[len(all)/4], all[3*len(all)/4]

			got := ids(t, keap.ListAll(t, env.client, s, keap.PageRequest{AfterID: lo, BeforeID: hi, PageSize: 7}))
			if want := all[len(all)/4+1 : 3*len(all)/4]; !slices.Equal(got, want) {
				t.Fatalf("ids in (%d, %d): got %d, want %d", lo, hi, len(got), len(want))
			}

			top, err := env.client.ListPage(ctx, s, keap.PageRequest{BeforeID: hi, Descending: true, PageSize: 1})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(t, top.Records); len(got) != 1 || got[0] != all[3*len(all)/4-1] {
				t.Fatalf("top below %d: %v, want %d", hi, got, all[3*len(all)/4-1])
			}

			desc := ids(t, keap.ListAll(t, env.client, s, keap.PageRequest{Descending: true, PageSize: 9}))
			rev := slices.Clone(all)
			slices.Reverse(rev)
			if !slices.Equal(desc, rev) {
				t.Fatal("a descending scan is not the ascending one reversed")
			}
			first, err := env.client.ListPage(ctx, s, keap.PageRequest{Descending: true, PageSize: 5})
			if err != nil {
				t.Fatal(err)
			}
			next, err := env.client.ListPage(ctx, s, keap.PageRequest{Descending: true, PageSize: 5, BeforeID: first.Records[4].ID})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(t, next.Records); !slices.Equal(got, rev[5:10]) {
				t.Fatalf("descending resumed below %d: %v, want %v", first.Records[4].ID, got, rev[5:10])
			}

			// Three ranges split at two boundaries: every id once.
			b1, b2 := lo, hi
			var union []int64
			for _, r := range []keap.PageRequest{
				{BeforeID: b1},
				{AfterID: lo - 1, BeforeID: b2},
				{AfterID: hi - 1},
			} {
				r.PageSize = 11
				union = append(union, ids(t, keap.ListAll(t, env.client, s, r))...)
			}
			if !slices.Equal(union, all) {
				t.Fatalf("three ranges hold %d ids, the stream %d", len(union), len(all))
			}

			recs := keap.ListAll(t, env.client, s, keap.PageRequest{IDsOnly: true})
			if !slices.Equal(ids(t, recs), all) {
				t.Fatal("ids-only listing differs from the full one")
			}
			for _, r := range recs {
				var fields map[string]json.RawMessage
				if err := json.Unmarshal(r.Raw, &fields); err != nil {
					t.Fatal(err)
				}
				if s.IDsOnlyFields != nil && len(fields) != 1 {
					t.Fatalf("ids-only record holds %d properties: %s", len(fields), r.Raw)
				}
				// Properties only fields= adds are left out.
				if _, ok := fields["custom_fields"]; ok && slices.Contains(s.Fields, "custom_fields") {
					t.Fatalf("ids-only record holds custom fields it had to ask for: %s", r.Raw)
				}
			}
		})
	}
	if tested < 6 {
		t.Fatalf("only %d IDRange streams", tested)
	}
}

func TestClient_InvalidIDRequestsMakeNoNetworkCall(t *testing.T) {
	t.Parallel()
	env := unlimited(t, 20)
	tests := []struct {
		stream string
		req    keap.PageRequest
	}{
		{"opportunities", keap.PageRequest{Descending: true}},
		{"users", keap.PageRequest{BeforeID: 5}},
		{"transactions", keap.PageRequest{AfterID: 5}},
		{"contacts", keap.PageRequest{AfterID: 9, BeforeID: 3}},
		{"company_custom_fields", keap.PageRequest{IDsOnly: true}},
	}
	for _, tt := range tests {
		_, err := env.client.ListPage(context.Background(), keap.MustStream(t, tt.stream), tt.req)
		var re *keap.RequestError
		if !errors.As(err, &re) || !keap.IsPermanent(err) {
			t.Errorf("%s %+v: err = %v, want a *RequestError", tt.stream, tt.req, err)
		}
	}
	if n := env.sim.Stats().Requests; n != 0 {
		t.Fatalf("%d requests for invalid listings", n)
	}
}
