package keap

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap/keapsim"
)

// lateEnv is two clients (two processes, in effect) of one account on one
// store, and the simulator, all on one fake clock: a call's lateness is
// injected by advancing the clock between its grant and its write, where a
// goroutine woken late or a slow dial would delay it.
type lateEnv struct {
	sim    *keapsim.Server
	clock  *fakeClock
	a, b   *Client
	calls  *callRecorder
	delayA func() time.Duration // how late client a's next call is made
}

type callRecorder struct {
	mu    sync.Mutex
	calls []Call
}

func (r *callRecorder) observe(c Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

func (r *callRecorder) all() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

func newLateEnv(t *testing.T) *lateEnv {
	t.Helper()
	clock := newFakeClock()
	sim := keapsim.New(t, keapsim.Options{Contacts: 20, APIKeys: []string{testKey}, Now: clock.Now,
		PerSecond: 5, PerMinute: 120, PerDay: -1, TenantPerMinute: -1})
	e := &lateEnv{sim: sim, clock: clock, calls: &callRecorder{}, delayA: func() time.Duration { return 0 }}
	store := NewMemoryQuotaStore(clock.Now)
	mod := func(c *Config) {
		c.Clock, c.Store, c.Account = clock, store, "acct"
		c.Quota.PerSecond, c.Quota.PerMinute, c.Quota.PerDay = 5, 120, -1
	}
	e.a = newSimClient(t, sim, &syncBuffer{}, func(c *Config) { mod(c); c.ObserveFunc = e.calls.observe })
	e.a.beforeWrite = func() { clock.Advance(e.delayA()) }
	e.b = newSimClient(t, sim, &syncBuffer{}, mod)
	return e
}

// TestGate_ACallLaterThanTheMarginNeverLeaves makes client a's calls late
// by more than the spacing margin between their grant and their write.
// Had such a call left, client b's next call, on time, would reach Keap
// 50ms after it (the spike arrest wants 180ms). Each is held back before
// its first byte and takes a new slot: Keap rejects nothing, sees the calls
// a full interval apart, and never sees a held-back request.
func TestGate_ACallLaterThanTheMarginNeverLeaves(t *testing.T) {
	t.Parallel()
	e := newLateEnv(t)
	ctx := context.Background()
	model := mustStream(t, "contact_custom_fields")
	late := 250 * time.Millisecond // the margin is 100ms
	first := true
	e.delayA = func() time.Duration {
		// The first attempt of each call is late; its retry is not.
		d := time.Duration(0)
		if first {
			d = late
		}
		first = !first
		return d
	}
	for range 5 {
		if _, err := e.a.ListPage(ctx, model, PageRequest{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.b.ListPage(ctx, model, PageRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	st := e.sim.Stats()
	if st.Rejected != 0 || st.Requests != 10 {
		t.Fatalf("simulator: %d requests, %d rejected (%+v); want 10 and none", st.Requests, st.Rejected, st)
	}
	var held, sent int
	for _, c := range e.calls.all() {
		switch {
		case c.HeldBack:
			held++
			if c.Lateness != late || !errors.Is(c.Err, errLate) || c.Status != 0 {
				t.Errorf("held-back call observed as %+v", c)
			}
		default:
			sent++
			if c.Lateness != 0 {
				t.Errorf("a call that took a new slot still left %v late", c.Lateness)
			}
		}
	}
	if held != 5 || sent != 5 {
		t.Fatalf("client a: %d calls held back and %d sent, want 5 and 5", held, sent)
	}
}

// TestGate_ACallWithinTheMarginLeavesLate: lateness the margin covers
// costs nothing; Keap still sees the calls far enough apart.
func TestGate_ACallWithinTheMarginLeavesLate(t *testing.T) {
	t.Parallel()
	e := newLateEnv(t)
	ctx := context.Background()
	model := mustStream(t, "contact_custom_fields")
	e.delayA = func() time.Duration { return 100 * time.Millisecond }
	for range 5 {
		if _, err := e.a.ListPage(ctx, model, PageRequest{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.b.ListPage(ctx, model, PageRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.sim.Stats(); st.Rejected != 0 || st.Requests != 10 {
		t.Fatalf("simulator: %+v, want 10 requests and none rejected", st)
	}
	for _, c := range e.calls.all() {
		if c.HeldBack || c.Lateness != 100*time.Millisecond {
			t.Fatalf("a call 100ms late (the margin) observed as %+v", c)
		}
	}
}

// TestGate_AlwaysLateFailsTransientlyWithoutARequest: a machine so loaded
// that every call misses its slot makes no request at all; the call fails
// with an error River retries later.
func TestGate_AlwaysLateFailsTransientlyWithoutARequest(t *testing.T) {
	t.Parallel()
	e := newLateEnv(t)
	e.delayA = func() time.Duration { return time.Second }
	_, err := e.a.ListPage(context.Background(), mustStream(t, "contact_custom_fields"), PageRequest{})
	if !errors.Is(err, errLate) || IsPermanent(err) {
		t.Fatalf("err = %v, want the lateness error, transient", err)
	}
	if _, ok := QuotaRetryAt(err); ok {
		t.Fatalf("err = %v is a quota error", err)
	}
	if n := e.sim.Stats().Requests; n != 0 {
		t.Fatalf("%d requests reached the simulator, want none", n)
	}
	if n := len(e.calls.all()); n != maxHeldBack {
		t.Fatalf("%d calls observed, want %d held back", n, maxHeldBack)
	}
}

// TestGovernor_MaxLatenessIsTheSmallerMarginLessTheClockUncertainty is the
// bound of the gate, derived from the windows (see governor).
func TestGovernor_MaxLatenessIsTheSmallerMarginLessTheClockUncertainty(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		q           QuotaConfig
		uncertainty time.Duration
		want        time.Duration
		enforced    bool
	}{
		{"spacing margin", QuotaConfig{PerSecond: 5, PerMinute: 120, SpacingMargin: 100 * time.Millisecond, WindowMargin: 600 * time.Millisecond}, 0, 100 * time.Millisecond, true},
		{"window margin when smaller", QuotaConfig{PerSecond: 5, PerMinute: 120, SpacingMargin: 100 * time.Millisecond, WindowMargin: 50 * time.Millisecond}, 0, 50 * time.Millisecond, true},
		{"window only", QuotaConfig{PerSecond: -1, PerMinute: 120, SpacingMargin: 100 * time.Millisecond, WindowMargin: 600 * time.Millisecond}, 0, 600 * time.Millisecond, true},
		{"less twice the uncertainty", QuotaConfig{PerSecond: 5, PerMinute: 120, SpacingMargin: 100 * time.Millisecond, WindowMargin: 600 * time.Millisecond}, 10 * time.Millisecond, 80 * time.Millisecond, true},
		{"no margin: exactly on time", QuotaConfig{PerSecond: 5, PerMinute: -1, SpacingMargin: -1}, 0, 0, true},
		{"nothing enforced", QuotaConfig{PerSecond: -1, PerMinute: -1}, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := &governor{cfg: tt.q}
			got, ok := g.maxLateness(tt.uncertainty)
			if ok != tt.enforced || (ok && got != tt.want) {
				t.Fatalf("maxLateness(%v) = %v, %v; want %v, %v", tt.uncertainty, got, ok, tt.want, tt.enforced)
			}
		})
	}
}

// TestGate_AHeldBackFirstCallStillGoesAlone: a client's first call goes
// alone, because only Keap's answer tells how much of the day others
// spent. When that call is held back for lateness, Keap has answered
// nothing yet: the calls waiting behind it must keep waiting through its
// new slot. Here another integration has spent 2 of a 3-call day; the
// client's first call is held back once, and a second call starts while it
// is. Let go early, the second would be granted the day's last call the
// store thinks is free and be rejected by Keap; held, it learns from the
// first's answer that the day is spent and is refused without a request.
func TestGate_AHeldBackFirstCallStillGoesAlone(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	sim := keapsim.New(t, keapsim.Options{Contacts: 20, APIKeys: []string{testKey}, Now: clock.Now,
		PerSecond: 5, PerMinute: 120, PerDay: 3, TenantPerMinute: -1})
	ctx := context.Background()
	model := mustStream(t, "contact_custom_fields")
	other := newSimClient(t, sim, &syncBuffer{}, func(c *Config) { c.Clock, c.Account = clock, "other" })
	for range 2 {
		if _, err := other.ListPage(ctx, model, PageRequest{}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}

	a := newSimClient(t, sim, &syncBuffer{}, func(c *Config) {
		c.Clock, c.Account = clock, "acct"
		c.Quota.PerSecond, c.Quota.PerMinute, c.Quota.PerDay = 5, 120, 3
	})
	var (
		mu          sync.Mutex // the hook runs on both calls' goroutines
		writes      int
		letGoEarly  bool
		secondErr   = make(chan error, 1)
		secondStart sync.Once
	)
	a.beforeWrite = func() {
		mu.Lock()
		defer mu.Unlock()
		writes++
		switch writes {
		case 1:
			// The first attempt is late (the margin is 100ms), and the
			// second call starts meanwhile.
			secondStart.Do(func() {
				go func() {
					_, err := a.ListPage(ctx, model, PageRequest{})
					secondErr <- err
				}()
			})
			clock.Advance(250 * time.Millisecond)
		case 2:
			// The first call's new slot: nobody may have been let go.
			a.gov.mu.Lock()
			letGoEarly = a.gov.heard
			a.gov.mu.Unlock()
		}
	}
	if _, err := a.ListPage(ctx, model, PageRequest{}); err != nil {
		t.Fatal(err)
	}
	err := <-secondErr
	mu.Lock()
	defer mu.Unlock()
	if letGoEarly {
		t.Error("the calls waiting for the first were let go when it was held back, before Keap answered")
	}
	if retryAt, ok := QuotaRetryAt(err); !ok {
		t.Errorf("second call: err = %v, want the day's quota error", err)
	} else if retryAt.IsZero() {
		t.Errorf("second call: quota error without a retry time")
	}
	if st := sim.Stats(); st.Rejected != 0 || st.Requests != 3 {
		t.Fatalf("simulator: %d requests, %d rejected (%+v); want 3 and none", st.Requests, st.Rejected, st)
	}
}
