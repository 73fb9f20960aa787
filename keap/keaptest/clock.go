package keaptest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/keapsync/keapsync/keap"
)

// FakeClock is a keap.Clock whose Sleep advances its time at once instead
// of waiting, so quota behaviour is tested without sleeping. It is safe for
// concurrent use. Its Now method also fits keapsim.Options.Now.
type FakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

var _ keap.Clock = (*FakeClock)(nil)

// NewFakeClock returns a FakeClock showing start.
func NewFakeClock(start time.Time) *FakeClock {
	return &FakeClock{now: start}
}

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep records d and advances the clock by d (if positive) at once. It
// returns ctx.Err() without advancing when ctx is already done, as a real
// sleep would.
func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	c.slept = append(c.slept, d)
	return nil
}

// Advance moves the clock forward by d (backward if d is negative) without
// recording a sleep: time passing outside the code under test.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Slept returns a copy of every duration passed to Sleep, in order.
func (c *FakeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}
