package jobs

import (
	"syscall"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/warehouse"
)

// BenchmarkMapPage maps a page of 1000 contacts as the simulator renders
// them with every field keapsync asks for, and reports records mapped per
// second (the pipeline's goal is 10,000 records/s including the database).
func BenchmarkMapPage(b *testing.B) {
	sim := keapsim.New(b, keapsim.Options{Contacts: 1000})
	s, _ := keap.StreamByName("contacts")
	truth, err := sim.Records("contacts", s.Fields)
	if err != nil {
		b.Fatal(err)
	}
	recs := make([]keap.Record, len(truth))
	var bytes int64
	for i, r := range truth {
		recs[i] = keap.Record{ID: r.ID, Updated: r.Updated, Raw: r.Raw}
		bytes += int64(len(r.Raw))
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		m := mapPage(s, warehouse.RunSync, recs)
		if len(m.rows) != len(recs) {
			b.Fatalf("mapPage = %d rows", len(m.rows))
		}
	}
	records := float64(b.N * len(recs))
	b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
	// The process's CPU time, garbage collection included: what mapping
	// costs whatever else the machine runs.
	b.ReportMetric(records/(cpuTime(b)-cpu0).Seconds(), "records/cpu-s")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
