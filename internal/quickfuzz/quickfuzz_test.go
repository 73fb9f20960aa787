package quickfuzz_test

import (
	"testing"
	"time"

	"github.com/keapsync/keapsync/internal/quickfuzz"
)

func TestRun_CallsWithVariedInputsForAboutTheDuration(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	calls := 0
	start := time.Now()
	quickfuzz.Run(t, 200*time.Millisecond, [][]byte{[]byte(`{"id":"1","name":"x"}`), []byte("a: 1\n")},
		func(tb testing.TB, in []byte) {
			calls++
			seen[string(in)] = true
		})
	if took := time.Since(start); took < 200*time.Millisecond || took > 2*time.Second {
		t.Errorf("ran for %s, want about 200ms", took)
	}
	if calls < 100 || len(seen) < calls/4 {
		t.Errorf("%d calls with %d distinct inputs, want many and varied", calls, len(seen))
	}
}
