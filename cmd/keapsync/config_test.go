package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// validConfig is the issue's example, less the keys a case replaces.
const validConfig = `database_url: ${DATABASE_URL}
accounts:
  - name: acme                           # [a-z0-9_]+, unique
    base_url: https://api.infusionsoft.com/crm/rest
    api_key: ${KEAP_API_KEY}              # Personal Access Token or Service Account Key
    schedule: "0 2 * * *"                 # cron; CRON_TZ= allowed
    streams: [contacts, companies]        # default: every stream
    reconcile_deletes: "0 3 * * 0"        # default weekly
    quota: {per_second: 5, per_minute: 120, per_day: 15000, reserve: 1000}
worker: {concurrency: 4}
http: {listen: 127.0.0.1:9090, auth_token: ${KEAPSYNC_HTTP_TOKEN:-}}
`

func baseEnv() map[string]string {
	// Nothing listens on port 1; the password only proves it never shows.
	return map[string]string{"DATABASE_URL": "postgres://keapsync:" + testDBPassword + "@127.0.0.1:1/keapsync", "KEAP_API_KEY": testAPIKey}
}

func TestConfig_TheIssuesExampleIsValid(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "keapsync.yaml", validConfig)
	r := runCLI(context.Background(), baseEnv(), "-c", path, "config", "check")
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	var printed printedConfig
	if err := yaml.Unmarshal([]byte(r.stdout), &printed); err != nil {
		t.Fatalf("config check does not print YAML: %v\n%s", err, r.stdout)
	}
	a := printed.Accounts[0]
	if a.Name != "acme" || a.Schedule != "0 2 * * *" || a.Quota.Reserve != 1000 || a.Quota.BackgroundShare != 0.9 ||
		strings.Join(a.Streams, ",") != "contacts,companies" || printed.Worker.JobTimeout != "1m0s" ||
		printed.HTTP.Listen != "127.0.0.1:9090" || printed.Log.Level != "info" || printed.RiverSchema != "river" {
		t.Errorf("printed config lacks a value or a default:\n%s", r.stdout)
	}
	if a.APIKey != redactedText {
		t.Errorf("api_key printed as %q", a.APIKey)
	}
	assertNoSecret(t, "config check", r.stdout+r.stderr)
}

func TestConfig_CheckRedactsEverySecretAndFillsDefaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile := writeFile(t, dir, "key", "  "+testAPIKey+"\n")
	cfg := `database_url: postgres://keapsync:${DB_PASSWORD}@db.example.com:5432/keapsync?sslmode=require
accounts:
  - name: acme
    api_key_file: ` + keyFile + `
  - name: beta_shop
    api_key: ${BETA_KEY:-` + testAPIKey + `}
    schedule: "CRON_TZ=Europe/Paris 30 1 * * *"
    reconcile_deletes: "off"
    email_reread_window: 36h
http: {listen: "0.0.0.0:9090", auth_token: ${TOKEN}}
log: {format: json, level: debug}
worker: {job_timeout: 90s, overlap: 0s, shutdown_timeout: 1m}
`
	path := writeFile(t, dir, "k.yaml", cfg)
	r := runCLI(context.Background(), map[string]string{"DB_PASSWORD": testDBPassword, "TOKEN": testToken}, "-c", path, "config", "check")
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	assertNoSecret(t, "config check", r.stdout+r.stderr)
	for _, want := range []string{
		"postgres://keapsync:xxxxx@db.example.com:5432/keapsync?sslmode=require",
		"api_key_file: " + keyFile,
		`api_key: "[redacted]"`,
		`auth_token: "[redacted]"`,
		"schedule: CRON_TZ=Europe/Paris 30 1 * * *",
		"reconcile_deletes: \"off\"",
		"reconcile_deletes: 0 3 * * 0", // acme's default
		"email_reread_window: 30d",     // acme's default
		"email_reread_window: 36h0m0s",
		"base_url: https://api.infusionsoft.com/crm/rest",
		"- contacts", // every stream by default
		"format: json",
		"job_timeout: 1m30s",
		"overlap: 0s",
		"shutdown_timeout: 1m0s",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("config check output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestConfig_ASecretWrittenUnderAnotherKeyIsNeverPrinted: the fuzzer
// found a listen address with the API key after its port accepted and
// printed. A port must be a number, and config check scrubs every secret
// it read from whatever else it prints (a host name may look like a key).
func TestConfig_ASecretWrittenUnderAnotherKeyIsNeverPrinted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, http string
		code       int
	}{
		{"after the port", `http: {listen: "127.0.0.1:90 ${KEAP_API_KEY}"}`, exitUsage},
		{"as the port", `http: {listen: "127.0.0.1:${KEAP_API_KEY}"}`, exitUsage},
		{"as an allowed host", `http: {allowed_hosts: ["${KEAP_API_KEY}"]}`, exitOK},
		{"as the token's namesake host", `http: {auth_token: "${KEAP_API_KEY}", allowed_hosts: ["${KEAP_API_KEY}.example.com"]}`, exitOK},
	} {
		cfg := strings.Replace(validConfig, "http: {listen: 127.0.0.1:9090, auth_token: ${KEAPSYNC_HTTP_TOKEN:-}}", tc.http, 1)
		path := writeFile(t, dir, "k.yaml", cfg)
		r := runCLI(context.Background(), baseEnv(), "-c", path, "config", "check")
		if r.code != tc.code {
			t.Errorf("%s: exit %d, want %d: %v", tc.name, r.code, tc.code, r)
		}
		assertNoSecret(t, tc.name, r.stdout+r.stderr)
	}
}

func TestConfig_AnAPIKeyWrittenInTheFileIsAWarning(t *testing.T) {
	t.Parallel()
	cfg := strings.Replace(validConfig, "${KEAP_API_KEY}", testAPIKey, 1)
	path := writeFile(t, t.TempDir(), "k.yaml", cfg)
	r := runCLI(context.Background(), baseEnv(), "-c", path, "config", "check")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: accounts[0].api_key is written in the configuration file") {
		t.Fatalf("%v", r)
	}
	assertNoSecret(t, "config check", r.stdout+r.stderr)
}

func TestConfig_BadConfigsNameTheirFieldAndLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	emptyKeyFile := writeFile(t, dir, "empty", "\n")
	replace := func(old, new string) string {
		if !strings.Contains(validConfig, old) {
			t.Fatalf("the valid config has no %q", old)
		}
		return strings.Replace(validConfig, old, new, 1)
	}
	for _, tc := range []struct {
		name string
		cfg  string
		env  map[string]string // merged over baseEnv; "" deletes
		want []string
	}{
		{"unknown top-level key", validConfig + "workers: 4\n", nil,
			[]string{`k.yaml:12: unknown key "workers" (did you mean "worker"?)`}},
		{"unknown account key with a suggestion", replace("schedule:", "shedule:"), nil,
			[]string{`k.yaml:6: accounts[0]: unknown key "shedule" (did you mean "schedule"?)`}},
		{"unknown key inside a flow mapping", replace("per_day: 15000", "per_daay: 15000"), nil,
			[]string{`k.yaml:9: accounts[0].quota: unknown key "per_daay" (did you mean "per_day"?)`}},
		{"unset variable", validConfig, map[string]string{"KEAP_API_KEY": ""},
			[]string{`k.yaml:5: accounts[0].api_key: ${KEAP_API_KEY} is not set`}},
		{"unterminated reference", replace("${DATABASE_URL}", "${DATABASE_URL"), nil,
			[]string{`k.yaml:1: database_url: unterminated ${`}},
		{"bad variable name", replace("${DATABASE_URL}", "${DATABASE-URL}"), nil,
			[]string{`k.yaml:1: database_url: ${DATABASE-URL}: "DATABASE-URL" is not a variable name`}},
		{"bad cron", replace(`"0 2 * * *"`, `"0 25 * * *"`), nil,
			[]string{`k.yaml:6: accounts[0].schedule: "0 25 * * *" is not a cron schedule`}},
		{"bad reconcile cron", replace(`"0 3 * * 0"`, `"weekly"`), nil,
			[]string{`k.yaml:8: accounts[0].reconcile_deletes: "weekly" is not a cron schedule`}},
		{"bad time zone", replace(`"0 2 * * *"`, `"CRON_TZ=Mars/Olympus 0 2 * * *"`), nil,
			[]string{`accounts[0].schedule: "CRON_TZ=Mars/Olympus 0 2 * * *" is not a cron schedule`}},
		{"duplicate account", replace("worker:", "  - name: acme\n    api_key: ${KEAP_API_KEY}\nworker:"), nil,
			[]string{`k.yaml:10: accounts[1].name: "acme" is already the name of accounts[0]`}},
		{"bad account name", replace("name: acme", "name: Acme-Shop"), nil,
			[]string{`k.yaml:3: accounts[0].name: "Acme-Shop": want lowercase letters and digits`}},
		{"missing account name", replace("name: acme", "name: \"\""), nil,
			[]string{`k.yaml:3: accounts[0].name: required`}},
		{"no accounts", "database_url: ${DATABASE_URL}\n", nil,
			[]string{`k.yaml: accounts: at least one account is required`}},
		{"unknown stream", replace("[contacts, companies]", "[contacts, widgets]"), nil,
			[]string{`k.yaml:7: accounts[0].streams[1]: unknown stream "widgets"`}},
		{"stream listed twice", replace("[contacts, companies]", "[contacts, contacts]"), nil,
			[]string{`accounts[0].streams[1]: "contacts" is listed twice`}},
		{"empty stream list", replace("[contacts, companies]", "[]"), nil,
			[]string{`accounts[0].streams: empty`}},
		{"negative quota", replace("per_day: 15000", "per_day: -5"), nil,
			[]string{`k.yaml:9: accounts[0].quota.per_day: must be at least 1, got -5`}},
		{"fractional quota", replace("per_second: 5", "per_second: 2.5"), nil,
			[]string{`k.yaml:9: accounts[0].quota.per_second: want a whole number, got "2.5"`}},
		{"quota of the wrong kind", replace("per_minute: 120", "per_minute: lots"), nil,
			[]string{`accounts[0].quota.per_minute: want a whole number, got "lots"`}},
		{"reserve above the day", replace("reserve: 1000", "reserve: 20000"), nil,
			[]string{`accounts[0].quota.reserve: must be less than per_day (15000), got 20000`}},
		{"background share above one", replace("reserve: 1000", "background_share: 1.5"), nil,
			[]string{`accounts[0].quota.background_share: must be more than 0 and at most 1, got 1.5`}},
		{"non-loopback listen without token", replace("127.0.0.1:9090", "0.0.0.0:9090"), nil,
			[]string{`k.yaml:11: http.listen: "0.0.0.0:9090" is not a loopback address: set http.auth_token too`}},
		{"every interface without token", replace("127.0.0.1:9090", `":9090"`), nil,
			[]string{`http.listen: ":9090" is not a loopback address`}},
		{"listen without port", replace("127.0.0.1:9090", "localhost"), nil,
			[]string{`http.listen: "localhost": want host:port`}},
		{"allowed host with a scheme", replace("listen: 127.0.0.1:9090,", "listen: 127.0.0.1:9090, allowed_hosts: [ok.example, \"https://keapsync.example.com\"],"), nil,
			[]string{`http.allowed_hosts[1]: "https://keapsync.example.com": want a host name with an optional port`}},
		{"short token", validConfig, map[string]string{"KEAPSYNC_HTTP_TOKEN": "hunter2"},
			[]string{`http.auth_token: too short`}},
		{"api key and key file", replace("api_key: ${KEAP_API_KEY}", "api_key: ${KEAP_API_KEY}\n    api_key_file: /k"), nil,
			[]string{`accounts[0].api_key: give api_key or api_key_file, not both`}},
		{"missing key file", replace("api_key: ${KEAP_API_KEY}", "api_key_file: /nonexistent/keap.key"), nil,
			[]string{`k.yaml:5: accounts[0].api_key_file: /nonexistent/keap.key: no such file or directory`}},
		{"empty key file", replace("api_key: ${KEAP_API_KEY}", "api_key_file: "+emptyKeyFile), nil,
			[]string{`accounts[0].api_key_file: ` + emptyKeyFile + ` is empty`}},
		{"no api key", replace("api_key: ${KEAP_API_KEY}", "api_key: ${KEAP_API_KEY:-}"), map[string]string{"KEAP_API_KEY": ""},
			[]string{`accounts[0].api_key: required`}},
		{"plain http to Keap", replace("https://api.infusionsoft.com", "http://api.infusionsoft.com"), nil,
			[]string{`accounts[0].base_url: "http://api.infusionsoft.com/crm/rest": want https`}},
		{"missing database url", replace("${DATABASE_URL}", `""`), nil,
			[]string{`k.yaml:1: database_url: required`}},
		{"bad database url", validConfig, map[string]string{"DATABASE_URL": "postgres://u:" + testDBPassword + "@h:notaport/db"},
			[]string{`database_url: not a PostgreSQL connection string`}},
		{"bad schema name", validConfig + "data_schema: Keap-Data\n", nil,
			[]string{`k.yaml:12: data_schema: "Keap-Data": want lowercase letters`}},
		{"concurrency out of range", replace("concurrency: 4", "concurrency: 0"), nil,
			[]string{`k.yaml:10: worker.concurrency: must be 1 to 1000, got 0`}},
		{"a re-read window beyond a year", replace(`reconcile_deletes: "0 3 * * 0"`, `reconcile_deletes: "0 3 * * 0"
    email_reread_window: 400d`), nil,
			[]string{`k.yaml:9: accounts[0].email_reread_window: must be between 0 and 365d, got 9600h0m0s`}},
		{"a re-read window in weeks", replace(`reconcile_deletes: "0 3 * * 0"`, `reconcile_deletes: "0 3 * * 0"
    email_reread_window: 4w`), nil,
			[]string{`accounts[0].email_reread_window: want a duration with a unit, like 30s or 5m, got "4w"`}},
		{"duration without unit", replace("concurrency: 4", "concurrency: 4, job_timeout: 60"), nil,
			[]string{`worker.job_timeout: want a duration with a unit, like 30s or 5m, got "60"`}},
		{"a secret where a number belongs is named, never quoted", replace("per_day: 15000", "per_day: ${KEAP_API_KEY}"), nil,
			[]string{`k.yaml:9: accounts[0].quota.per_day`, `${KEAP_API_KEY}`}},
		{"rescue sooner than a job may run", replace("concurrency: 4", "concurrency: 4, job_timeout: 1m, rescue_after: 30s"), nil,
			[]string{`worker.rescue_after: must be longer than worker.job_timeout (1m0s), or running jobs would be rescued, got 30s`}},
		{"bad log format", validConfig + "log: {format: xml}\n", nil,
			[]string{`log.format: "xml": want text or json`}},
		{"bad log level", validConfig + "log: {level: loud}\n", nil,
			[]string{`log.level: "loud": want debug, info, warn or error`}},
		{"a list where a mapping belongs", replace("worker: {concurrency: 4}", "worker: [4]"), nil,
			[]string{`k.yaml:10: worker: want a mapping of keys, got a list`}},
		{"duplicate key", validConfig + "database_url: x\n", nil,
			[]string{`k.yaml:12: YAML: mapping key "database_url" already defined`}},
		{"YAML syntax", replace("name: acme", "name: 'acme"), nil,
			[]string{`k.yaml:3: YAML:`}},
		{"webhook that is not a URL", validConfig + "notify: {webhook_url: ${HOOK}}\n", map[string]string{"HOOK": "hooks.slack.com/services/" + testHookToken},
			[]string{`k.yaml:12: notify.webhook_url: want an https:// URL (the value is not shown: it is a secret)`}},
		{"webhook format", validConfig + "notify: {webhook_url: ${HOOK}, format: teams}\n", map[string]string{"HOOK": "https://hooks.example.com/" + testHookToken},
			[]string{`notify.format: "teams": want json or slack`}},
		{"account webhook and its file", replace("worker:", "    notify: {webhook_url: ${HOOK}, webhook_url_file: /h}\nworker:"), map[string]string{"HOOK": "https://hooks.example.com/" + testHookToken},
			[]string{`accounts[0].notify.webhook_url: give webhook_url or webhook_url_file, not both`}},
		{"several problems at once", replace("schedule:", "shedule:") + "workers: 1\n", nil,
			[]string{"invalid configuration (2 problems)", `unknown key "shedule"`, `unknown key "workers"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := baseEnv()
			for k, v := range tc.env {
				if v == "" {
					delete(env, k)
				} else {
					env[k] = v
				}
			}
			path := writeFile(t, t.TempDir(), "k.yaml", tc.cfg)
			r := runCLI(context.Background(), env, "-c", path, "config", "check")
			if r.code != exitUsage {
				t.Fatalf("want exit 2, got %v", r)
			}
			for _, want := range tc.want {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("an invalid configuration printed on stdout:\n%s", r.stdout)
			}
			assertNoSecret(t, "config check", r.stderr)
			if strings.Contains(r.stderr, testHookToken) {
				t.Errorf("an error quotes the webhook's token:\n%s", r.stderr)
			}
		})
	}
}

// testHookToken is a webhook URL's secret path in the tests.
const testHookToken = "T000/B000/hooktoken4d2f"

func TestConfig_NotifyIsGlobalOrPerAccountAndItsURLNeverPrinted(t *testing.T) {
	t.Parallel()
	cfg := strings.Replace(validConfig, "worker:", `  - name: quiet
    api_key: ${KEAP_API_KEY}
    notify: {webhook_url: "off"}
  - name: own
    api_key: ${KEAP_API_KEY}
    notify: {webhook_url: "${OWN_HOOK}", format: slack}
worker:`, 1) + "notify: {webhook_url: ${HOOK}}\n"
	env := baseEnv()
	env["HOOK"] = "https://hooks.example.com/" + testHookToken
	env["OWN_HOOK"] = "https://hooks.slack.com/services/" + testHookToken
	path := writeFile(t, t.TempDir(), "keapsync.yaml", cfg)
	r := runCLI(context.Background(), env, "-c", path, "config", "check")
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	var printed printedConfig
	if err := yaml.Unmarshal([]byte(r.stdout), &printed); err != nil {
		t.Fatal(err)
	}
	want := map[string]printedNotify{
		"acme":  {WebhookURL: redactedText, Format: "json"},
		"quiet": {WebhookURL: off},
		"own":   {WebhookURL: redactedText, Format: "slack"},
	}
	for _, a := range printed.Accounts {
		if a.Notify != want[a.Name] {
			t.Errorf("account %s: notify %+v, want %+v", a.Name, a.Notify, want[a.Name])
		}
	}
	if strings.Contains(r.stdout+r.stderr, testHookToken) {
		t.Errorf("config check printed the webhook's token:\n%s%s", r.stdout, r.stderr)
	}
}

func TestConfig_MissingFileNamesTheFlagAndVariable(t *testing.T) {
	t.Parallel()
	r := runCLI(context.Background(), nil, "-c", filepath.Join(t.TempDir(), "nope.yaml"), "config", "check")
	if r.code != exitUsage || !strings.Contains(r.stderr, "nope.yaml: no such file (name one with -c/--config or $KEAPSYNC_CONFIG") {
		t.Fatalf("%v", r)
	}
	// $KEAPSYNC_CONFIG names the default.
	path := writeFile(t, t.TempDir(), "via-env.yaml", validConfig)
	env := baseEnv()
	env["KEAPSYNC_CONFIG"] = path
	if r := runCLI(context.Background(), env, "config", "check"); r.code != 0 || !strings.Contains(r.stdout, "via-env.yaml is valid") {
		t.Fatalf("$KEAPSYNC_CONFIG: %v", r)
	}
}

func TestExpandEnv_ValuesNeverChangeTheYAMLStructure(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"PLAIN":  "acme",
		"NUM":    "15000",
		"COLON":  "a: b",
		"HASH":   "pass #word",
		"QUOTES": `it's "quoted"`,
		"EMPTY":  "",
	}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, tc := range []struct {
		src, want string
	}{
		{"k: ${PLAIN}\n", "k: acme\n"},
		{"k: ${NUM}\n", "k: 15000\n"},
		{"k: ${COLON}\n", "k: \"a: b\"\n"},
		{"k: ${HASH} # note\n", "k: \"pass #word\" # note\n"},
		{"k: {a: ${COLON}, b: 1}\n", "k: {a: \"a: b\", b: 1}\n"},
		{`k: "x ${QUOTES}"` + "\n", `k: "x it's \"quoted\""` + "\n"},
		{"k: 'x ${QUOTES}'\n", "k: 'x it''s \"quoted\"'\n"},
		{"k: ${EMPTY}\n", "k: \"\"\n"},
		{"k: ${UNSET:-dflt}\n", "k: dflt\n"},
		{"k: ${EMPTY:-dflt}\n", "k: dflt\n"},
		{"k: $${PLAIN}\n", "k: ${PLAIN}\n"},
		{"# k: ${UNSET}\n", "# k: ${UNSET}\n"},
		{"k: v # ${UNSET}\n", "k: v # ${UNSET}\n"},
		{"k: pre-${PLAIN}-post\n", "k: pre-acme-post\n"},
	} {
		got, _, errs := expandEnv(tc.src, getenv)
		if len(errs) > 0 || got != tc.want {
			t.Errorf("expand %q: got %q (errors %v), want %q", tc.src, got, errs, tc.want)
		}
	}
	if _, _, errs := expandEnv("k: pre-${COLON}\n", getenv); len(errs) != 1 || !strings.Contains(errs[0].reason, "double quotes") {
		t.Errorf("a value breaking an unquoted scalar: %v", errs)
	}
}

func TestConfig_ReadsNoFileButItsOwnAndTheKeyFile(t *testing.T) {
	t.Parallel()
	// A directory named as the configuration is an error of the file, not a crash.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "conf.yaml"), 0o700); err != nil {
		t.Fatal(err)
	}
	r := runCLI(context.Background(), nil, "-c", filepath.Join(dir, "conf.yaml"), "config", "check")
	if r.code != exitUsage || !strings.Contains(r.stderr, "conf.yaml") {
		t.Fatalf("%v", r)
	}
}
