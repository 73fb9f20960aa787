package keaptest

import (
	"strings"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap/keapsim"
)

func TestFakeFlags_TakesWhatKeapfakeTakesAndRefusesTheRest(t *testing.T) {
	t.Parallel()
	args, err := fakeFlags(keapsim.Options{Contacts: 10, PerSecond: -1, Minute: 8 * time.Second, APIKeys: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(args, " "); got != "--addr 127.0.0.1:0 --log-level warn --contacts 10 --api-key a,b --per-second -1 --minute 8s" {
		t.Fatalf("flags %q", got)
	}
	if _, err := fakeFlags(keapsim.Options{Faults: []keapsim.Fault{{Kind: keapsim.Fault500}}}); err == nil || !strings.Contains(err.Error(), "Faults") {
		t.Fatalf("Faults: err = %v, want a refusal naming it", err)
	}
}
