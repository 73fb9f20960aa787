// Package quickfuzz gives a fuzz target's property a few seconds of
// random inputs in the normal test run (go test -fuzz explores the same
// target for as long as asked).
package quickfuzz

import (
	"math/rand/v2"
	"testing"
	"time"
)

// Run calls fn with inputs derived from seeds by random mutations
// (bit flips, byte changes, cuts, insertions of bytes JSON and YAML care
// about, splices of two seeds) for about d, then stops. It gives a fuzz
// target's property a few seconds of random inputs in the normal test run;
// `go test -fuzz` explores the same target for as long as asked. The random
// source is seeded from the clock and logged, so a failure can be replayed
// by seeding it alike.
func Run(tb testing.TB, d time.Duration, seeds [][]byte, fn func(tb testing.TB, in []byte)) {
	tb.Helper()
	if len(seeds) == 0 {
		tb.Fatal("quickfuzz: Run needs seeds")
	}
	seed := uint64(time.Now().UnixNano())
	tb.Logf("quickfuzz: seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x6b656170))
	deadline := time.Now().Add(d)
	for n := 0; time.Now().Before(deadline); n++ {
		in := append([]byte(nil), seeds[rng.IntN(len(seeds))]...)
		for range 1 + rng.IntN(4) {
			in = mutate(rng, in, seeds)
		}
		fn(tb, in)
		if tb.Failed() {
			tb.Fatalf("quickfuzz: failed on input %d (seed %d): %q", n, seed, in)
		}
	}
}

// interesting are bytes that change a JSON or YAML document's meaning.
var interesting = []string{`"`, `\`, `{`, `}`, `[`, `]`, `:`, `,`, "\n", " ", `null`, `1e999`,
	`-`, `${`, `}`, `#`, "\x00", "\xff", `\u0000`, `99999999999999999999`, `*`, `&`, `!`, `'`}

func mutate(rng *rand.Rand, in []byte, seeds [][]byte) []byte {
	switch op := rng.IntN(6); {
	case len(in) == 0 || op == 0: // insert something interesting
		i := rng.IntN(len(in) + 1)
		ins := interesting[rng.IntN(len(interesting))]
		return append(in[:i:i], append([]byte(ins), in[i:]...)...)
	case op == 1: // flip a bit
		in[rng.IntN(len(in))] ^= 1 << rng.IntN(8)
	case op == 2: // replace a byte
		in[rng.IntN(len(in))] = byte(rng.IntN(256))
	case op == 3: // cut a span
		i := rng.IntN(len(in))
		j := min(len(in), i+1+rng.IntN(16))
		return append(in[:i:i], in[j:]...)
	case op == 4: // duplicate a span
		i := rng.IntN(len(in))
		j := min(len(in), i+1+rng.IntN(32))
		return append(in[:j:j], append(append([]byte(nil), in[i:j]...), in[j:]...)...)
	default: // splice another seed
		other := seeds[rng.IntN(len(seeds))]
		if len(other) == 0 {
			return in
		}
		i, j := rng.IntN(len(in)+1), rng.IntN(len(other))
		return append(in[:i:i], other[j:]...)
	}
	return in
}
