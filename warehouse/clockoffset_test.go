package warehouse

import (
	"testing"
	"time"
)

func TestClockOffset_KeepsTheTightestAgreeingMeasurement(t *testing.T) {
	t.Parallel()
	local := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	const offset = 3 * time.Hour // the database's clock is 3h ahead
	var o clockOffset
	// A round trip of 20ms: the offset is known within 10ms.
	o.sample(local, local.Add(offset+15*time.Millisecond), local.Add(20*time.Millisecond))
	got, unc := o.toLocal(local.Add(offset + time.Second))
	if d := got.Sub(local.Add(time.Second)); d < -unc || d > unc || unc < 10*time.Millisecond || unc > 11*time.Millisecond {
		t.Fatalf("converted %v off with uncertainty %v", d, unc)
	}
	// A tighter round trip (2ms) replaces it.
	later := local.Add(time.Second)
	o.sample(later, later.Add(offset+time.Millisecond), later.Add(2*time.Millisecond))
	got, unc = o.toLocal(later.Add(offset + time.Second))
	if d := got.Sub(later.Add(time.Second)); d != 0 || unc > 2*time.Millisecond {
		t.Fatalf("after a tighter sample: converted %v off, uncertainty %v", d, unc)
	}
	// A looser one that agrees leaves it; its uncertainty grows with age
	// at maxDrift.
	much := later.Add(10 * time.Second)
	o.sample(much, much.Add(offset+50*time.Millisecond), much.Add(100*time.Millisecond))
	if _, unc = o.toLocal(much.Add(offset)); unc < 5*time.Millisecond || unc > 7*time.Millisecond {
		t.Fatalf("uncertainty %v ten seconds after a 1ms measurement, want 1ms + 10s x 500ppm", unc)
	}
	// One that contradicts it (the local clock was stepped by a second)
	// replaces it, however loose.
	o.sample(much, much.Add(offset-time.Second+50*time.Millisecond), much.Add(100*time.Millisecond))
	got, unc = o.toLocal(much.Add(offset))
	if d := got.Sub(much.Add(time.Second)); d < -unc || d > unc {
		t.Fatalf("after a step: converted %v off with uncertainty %v", d, unc)
	}
	if back := o.toDatabase(got); !back.Equal(much.Add(offset)) {
		t.Fatalf("toDatabase(toLocal(x)) = %v, want %v", back, much.Add(offset))
	}
}
