package keapsim_test

import (
	"net/http"
	"runtime"
	"testing"

	"github.com/keapsync/keapsync/keap/keapsim"
)

// TestMemory_MillionContactsFitWellUnderOneGiB builds a tenant of 1,000,000
// contacts (and every other stream scaled with it) and measures the heap it
// holds, then serves a page from it.
func TestMemory_MillionContactsFitWellUnderOneGiB(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 1_000_000}))
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("1,000,000 contacts: %.1f MiB of heap held by the simulator", float64(held)/(1<<20))
	const limit = 256 << 20 // "well under 1 GiB"
	if held > limit {
		t.Fatalf("simulator holds %d MiB for 1M contacts, want < %d MiB", held>>20, limit>>20)
	}
	if n, err := s.Live("contacts"); err != nil || n != 1_000_000 {
		t.Fatalf("live contacts %d: %v", n, err)
	}
	r := get(t, s, "/v2/contacts?page_size=1000&filter=contact_id%3E1100000")
	if r.status != http.StatusOK || len(records(t, decode(t, r), "contacts")) != 1000 {
		t.Fatalf("page from the big tenant: %d", r.status)
	}
	runtime.KeepAlive(s)
}

// BenchmarkSimulatorStart1M starts a tenant of 1,000,000 contacts (every
// stream scaled) and reports the heap it holds and the start-up time.
func BenchmarkSimulatorStart1M(b *testing.B) {
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s, err := keapsim.Start(unlimited(keapsim.Options{Contacts: 1_000_000}))
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "MiB-held")
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
