package keap

import (
	"time"

	"github.com/keapsync/keapsync/keap/internal/fakeclock"
)

// fakeClock is the tests' fake clock (keaptest.FakeClock, which this package
// cannot import): Sleep advances time at once.
type fakeClock = fakeclock.Clock

var _ Clock = (*fakeClock)(nil)

func newFakeClock() *fakeClock {
	return fakeclock.New(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC))
}
