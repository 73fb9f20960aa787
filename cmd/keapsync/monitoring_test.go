package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/keapsync/keapsync/jobs"
)

// metricName finds the metric names in a PromQL expression: keapsync's own
// (no label of ours starts with keapsync_).
var metricName = regexp.MustCompile(`\bkeapsync_[a-z0-9_]+\b`)

// alertRules are monitoring/alerts.yaml's rules: name and expression.
func alertRules(t *testing.T) map[string]string {
	t.Helper()
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "monitoring/alerts.yaml")), &file); err != nil {
		t.Fatalf("monitoring/alerts.yaml: %v", err)
	}
	out := map[string]string{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			out[r.Alert] = r.Expr
		}
	}
	return out
}

// dashboardQueries are the Grafana dashboard's queries: each panel's
// targets and the variables', by where they are.
func dashboardQueries(t *testing.T) map[string]string {
	t.Helper()
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal([]byte(readRepoFile(t, "monitoring/grafana-dashboard.json")), &dash); err != nil {
		t.Fatalf("monitoring/grafana-dashboard.json: %v", err)
	}
	out := map[string]string{}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("dashboard panel %q has no query", p.Title)
		}
		for i, tg := range p.Targets {
			out["panel "+p.Title+" #"+string(rune('A'+i))] = tg.Expr
		}
	}
	for _, v := range dash.Templating.List {
		if v.Definition != "" {
			out["variable "+v.Name] = v.Definition
		}
	}
	return out
}

func TestMonitoring_EveryMetricOfTheAlertsAndTheDashboardIsInARealScrape(t *testing.T) {
	t.Parallel()
	// A daily budget too small for the first sync: runs pause for the
	// quota, so the scrape holds the metrics of a pause too.
	e := newTestEnv(t, envOptions{contacts: 100, quota: "{per_second: 1000, per_minute: 100000, per_day: 12}"})
	e.mustRun(exitOK, "migrate")
	base, _ := e.startWork()
	e.mustRun(exitOK, "sync")
	e.mustRun(exitOK, "pause", "--account", "acme", "--stream", "tags")
	deadline := time.Now().Add(time.Minute)
	for {
		code, _, body := get(t, base+"/status", "")
		var st jobs.Status
		if code == http.StatusOK && json.Unmarshal([]byte(body), &st) == nil &&
			slices.ContainsFunc(st.Accounts[0].Streams, func(ss jobs.StreamStatus) bool { return ss.State == jobs.StatePausedQuota }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no run paused for the day's quota: %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(11 * time.Second) // past the status cache of the scrapes
	code, _, scrape := get(t, base+"/metrics", "")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	served := map[string]bool{}
	for _, line := range strings.Split(scrape, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name := line[:strings.IndexAny(line, "{ ")]
		served[name] = true
	}

	used := map[string]int{}
	check := func(where, expr string) {
		names := metricName.FindAllString(expr, -1)
		if len(names) == 0 && !strings.Contains(expr, `up{job="keapsync"}`) { // Prometheus's own up
			t.Errorf("%s: no keapsync metric in %q", where, expr)
		}
		for _, n := range names {
			used[n]++
			if !served[n] {
				t.Errorf("%s uses %s, which a real /metrics scrape does not serve", where, n)
			}
		}
	}
	rules := alertRules(t)
	if len(rules) < 8 {
		t.Fatalf("%d alert rules: the check is vacuous", len(rules))
	}
	for name, expr := range rules {
		check("alert "+name, expr)
	}
	queries := dashboardQueries(t)
	if len(queries) < 10 {
		t.Fatalf("%d dashboard queries: the check is vacuous", len(queries))
	}
	for where, expr := range queries {
		check("dashboard "+where, expr)
	}
	// What the issue asks the dashboard to show.
	for _, want := range []string{"keapsync_keap_calls_total", "keapsync_quota_used", "keapsync_stream_rows",
		"keapsync_run_duration_seconds", "keapsync_sync_lag_seconds", "keapsync_keap_rate_limited_total"} {
		found := false
		for _, expr := range queries {
			found = found || strings.Contains(expr, want)
		}
		if !found {
			t.Errorf("the dashboard does not show %s", want)
		}
	}
	t.Logf("%d alert rules and %d dashboard queries use %d metrics, all served", len(rules), len(queries), len(used))
}

func TestMonitoring_TheAlertsCoverWhatTheREADMESaysToWatch(t *testing.T) {
	t.Parallel()
	rules := alertRules(t)
	for alert, want := range map[string]string{
		"KeapsyncStreamStale":          "keapsync_stream_stale",
		"KeapsyncRunFailed":            `state="failed"`,
		"KeapsyncJobsDiscarded":        `state="discarded"`,
		"KeapsyncKeyRejected":          `kind="key_rejected"`,
		"KeapsyncQuotaExhausted":       `state="paused_quota"`,
		"KeapsyncPausedTooLong":        `state="paused"`,
		"KeapsyncQuotaPauseNotResumed": "keapsync_stream_paused_until_timestamp_seconds",
		"KeapsyncDown":                 `up{job="keapsync"}`,
		"KeapsyncNoWorker":             "keapsync_workers",
	} {
		if !strings.Contains(rules[alert], want) {
			t.Errorf("alert %s: expression %q, want it on %s", alert, rules[alert], want)
		}
	}
	readme := readRepoFile(t, "README.md")
	for alert := range rules {
		if !strings.Contains(readme, alert) {
			t.Errorf("the README does not name the alert %s", alert)
		}
	}
}
