package main

import (
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/keapsync/keapsync/internal/quickfuzz"
)

// configSeeds are the fuzz targets' seeds: the example and the
// documented example file.
func configSeeds(tb testing.TB) [][]byte {
	return [][]byte{[]byte(validConfig), []byte(readRepoFile(tb, "config.example.yaml")),
		[]byte("accounts:\n  - {name: a, api_key: ${KEAP_API_KEY}, quota: {per_day: ${KEAP_API_KEY}}}\n"),
		[]byte("database_url: ${DATABASE_URL:-x}\naccounts: []\nhttp: {listen: ${KEAP_API_KEY}}\n")}
}

// checkParse is the property every configuration file must have: loading
// it never panics, ends in a configuration or an error, and neither the
// error nor the printed configuration shows a secret, wherever the file
// puts the variables that hold them.
func checkParse(tb testing.TB, src []byte) {
	tb.Helper()
	env := baseEnv()
	cfg, err := parseConfig("k.yaml", src, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	switch {
	case err != nil:
		msg := err.Error()
		if !strings.HasPrefix(msg, "invalid configuration") {
			tb.Errorf("error %q does not say the configuration is invalid", msg)
		}
		assertNoSecretTB(tb, "the error", msg)
	case cfg == nil:
		tb.Error("no configuration and no error")
	default:
		out, err := yaml.Marshal(printable(cfg))
		if err != nil {
			tb.Errorf("printing: %v", err)
		}
		assertNoSecretTB(tb, "config check", string(out))
	}
}

func assertNoSecretTB(tb testing.TB, where, s string) {
	tb.Helper()
	for _, secret := range []string{testAPIKey, testToken, testDBPassword} {
		if strings.Contains(s, secret) {
			tb.Errorf("%s shows a secret (%s...): %s", where, secret[:10], s)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range configSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src []byte) { checkParse(t, src) })
}

// TestParseConfig_FuzzedBriefly gives FuzzParseConfig's property a few
// seconds of random inputs in the normal test run.
func TestParseConfig_FuzzedBriefly(t *testing.T) {
	t.Parallel()
	quickfuzz.Run(t, 3*time.Second, configSeeds(t), checkParse)
}
