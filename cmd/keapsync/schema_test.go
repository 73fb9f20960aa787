package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite docs/keapsync.schema.json from the configuration's structure")

func TestConfigSchema_TheRepositoryHoldsTheGeneratedOne(t *testing.T) {
	got := configSchemaJSON()
	path := filepath.Join("..", "..", "docs", "keapsync.schema.json")
	if *updateSchema {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := readRepoFile(t, "docs/keapsync.schema.json"); want != string(got) {
		t.Errorf("docs/keapsync.schema.json is stale: run go test ./cmd/keapsync -run TestConfigSchema -update-schema")
	}
	if r := runCLI(context.Background(), nil, "config", "schema"); r.code != exitOK || r.stdout != string(got) {
		t.Errorf("keapsync config schema: %v", r)
	}
	if !strings.HasPrefix(readRepoFile(t, "config.example.yaml"), "# yaml-language-server: $schema="+schemaID+"\n") {
		t.Errorf("config.example.yaml does not name the schema for editors on its first line")
	}
}

// compiledSchema compiles docs/keapsync.schema.json.
func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(configSchemaJSON()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemaID)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// validateYAML validates a YAML document as an editor would.
func validateYAML(t *testing.T, s *jsonschema.Schema, src string) error {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		t.Fatalf("YAML: %v", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

// schemaConfig is validConfig as an editor can read it: a ${VAR} inside a
// flow mapping quoted (keapsync expands before parsing; an editor parses
// the file as written).
var schemaConfig = strings.Replace(validConfig, "auth_token: ${KEAPSYNC_HTTP_TOKEN:-}", `auth_token: "${KEAPSYNC_HTTP_TOKEN:-}"`, 1)

func TestConfigSchema_TheExamplesAreValid(t *testing.T) {
	t.Parallel()
	s := compiledSchema(t)
	for _, name := range []string{"config.example.yaml", "deploy/keapsync.compose.yaml"} {
		if err := validateYAML(t, s, readRepoFile(t, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := validateYAML(t, s, schemaConfig); err != nil {
		t.Errorf("the tests' valid configuration: %v", err)
	}
}

func TestConfigSchema_AgreesWithTheLoaderOnEveryKeyAndKindOfValue(t *testing.T) {
	t.Parallel()
	s := compiledSchema(t)
	validConfig := schemaConfig
	replace := func(old, new string) string {
		if !strings.Contains(validConfig, old) {
			t.Fatalf("the valid config has no %q", old)
		}
		return strings.Replace(validConfig, old, new, 1)
	}
	env := baseEnv()
	env["PER_DAY"] = "9000"
	env["FMT"] = "json"
	for _, tc := range []struct {
		name  string
		cfg   string
		valid bool
	}{
		{"the valid one", validConfig, true},
		{"an unknown top-level key", validConfig + "workers: 4\n", false},
		{"an unknown account key", replace("schedule:", "shedule:"), false},
		{"an unknown key in a flow mapping", replace("per_day: 15000", "per_daay: 15000"), false},
		{"a fraction where a whole number belongs", replace("per_second: 5", "per_second: 2.5"), false},
		{"a word where a number belongs", replace("per_minute: 120", "per_minute: lots"), false},
		{"a variable where a number belongs", replace("quota: {per_second: 5, per_minute: 120, per_day: 15000, reserve: 1000}", "quota:\n      per_day: ${PER_DAY}"), true},
		{"a list where a mapping belongs", replace("worker: {concurrency: 4}", "worker: [4]"), false},
		{"a duration without a unit", replace("concurrency: 4", "concurrency: 4, job_timeout: 60"), false},
		{"a duration with one", replace("concurrency: 4", "concurrency: 4, job_timeout: 1m30s"), true},
		{"a share above one", replace("reserve: 1000", "background_share: 1.5"), false},
		{"concurrency out of range", replace("concurrency: 4", "concurrency: 0"), false},
		{"an unknown stream", replace("[contacts, companies]", "[contacts, widgets]"), false},
		{"a log format", validConfig + "log: {format: xml}\n", false},
		{"a log format from a variable", validConfig + "log: {format: \"${FMT}\"}\n", true},
		{"a log level in capitals", validConfig + "log: {level: WARNING}\n", true},
		{"a log level", validConfig + "log: {level: loud}\n", false},
		{"a bad account name", replace("name: acme", "name: Acme-Shop"), false},
		{"a key written without a value", validConfig + "notify:\n", true},
		{"a notify format", validConfig + "notify: {webhook_url: \"off\", format: teams}\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			schemaErr := validateYAML(t, s, tc.cfg)
			_, loadErr := parseConfig("k.yaml", []byte(tc.cfg), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
			if (schemaErr == nil) != tc.valid || (loadErr == nil) != tc.valid {
				t.Errorf("want valid=%v: the schema says %v, the loader %v", tc.valid, schemaErr, loadErr)
			}
		})
	}
}
