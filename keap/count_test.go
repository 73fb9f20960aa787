package keap_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap"
)

// TestClient_CountIsOneCallAndMatchesAListing counts every stream with a
// count endpoint, whole and (where v1 filters by update time) in a window,
// and compares with what a listing returns.
func TestClient_CountIsOneCallAndMatchesAListing(t *testing.T) {
	t.Parallel()
	env := unlimited(t, 600)
	ctx := context.Background()
	counted := 0
	for _, s := range keap.Streams {
		if s.CountPath == "" {
			continue
		}
		counted++
		t.Run(s.Name, func(t *testing.T) {
			all := keap.ListAll(t, env.client, s, keap.PageRequest{})
			before := env.sim.Stats().Requests
			n, err := env.client.Count(ctx, s, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if calls := env.sim.Stats().Requests - before; calls != 1 {
				t.Fatalf("count cost %d calls", calls)
			}
			if n != int64(len(all)) || n == 0 {
				t.Fatalf("count %d, listing %d", n, len(all))
			}
			if s.CountSinceParam == "" {
				return
			}
			times := make([]time.Time, len(all))
			for i, r := range all {
				times[i] = keap.FilterTime(t, s, r)
			}
			slices.SortFunc(times, time.Time.Compare)
			since := times[len(times)/3].Truncate(time.Second).Add(time.Second)
			until := times[2*len(times)/3].Truncate(time.Second)
			window := keap.ListAll(t, env.client, s, keap.PageRequest{Since: since, Until: until})
			n, err = env.client.Count(ctx, s, since, until)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(window)) || n == 0 || n == int64(len(all)) {
				t.Fatalf("count in [%v, %v] is %d, the listing %d of %d", since, until, n, len(window), len(all))
			}
		})
	}
	if counted < 10 {
		t.Fatalf("only %d streams have a count endpoint", counted)
	}
}

func TestClient_CountRefusesWhatItCannotCountWithoutACall(t *testing.T) {
	t.Parallel()
	env := unlimited(t, 20)
	now := simStart
	tests := []struct {
		stream       string
		since, until time.Time
	}{
		{"payments", time.Time{}, time.Time{}},
		{"contact_custom_fields", time.Time{}, time.Time{}},
		{"companies", now, time.Time{}},
		{"notes", time.Time{}, now},
	}
	for _, tt := range tests {
		_, err := env.client.Count(context.Background(), keap.MustStream(t, tt.stream), tt.since, tt.until)
		var re *keap.RequestError
		if !errors.As(err, &re) || !keap.IsPermanent(err) {
			t.Errorf("count %s: err = %v, want a *RequestError", tt.stream, err)
		}
	}
	if n := env.sim.Stats().Requests; n != 0 {
		t.Fatalf("%d requests for refused counts", n)
	}
}
