package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/migrations"
)

// validator checks a decoded fileConfig and resolves its defaults.
type validator struct {
	checker  *shapeChecker
	expanded map[string]bool // paths whose value came from ${VAR}
	problems []configProblem
	warnings []string
	secrets  []string // every secret value read, for printing's sake
}

// secret records a secret value so that config check can scrub it from
// whatever other key it was also written in.
func (v *validator) secret(s string) {
	if len(strings.TrimSpace(s)) >= 4 {
		v.secrets = append(v.secrets, s, strings.TrimSpace(s))
	}
}

func (v *validator) add(path, format string, args ...any) {
	v.problems = append(v.problems, configProblem{line: v.checker.lineOf(path), path: path, msg: fmt.Sprintf(format, args...)})
}

func (v *validator) validate(fc *fileConfig) *config {
	cfg := &config{
		DataSchema:  orDefault(fc.DataSchema, migrations.DefaultDataSchema),
		StateSchema: orDefault(fc.StateSchema, migrations.DefaultStateSchema),
		RiverSchema: orDefault(fc.RiverSchema, jobs.DefaultRiverSchema),
	}
	switch {
	case fc.DatabaseURL == "":
		v.add("database_url", "required, e.g. database_url: ${DATABASE_URL} (%s)", databaseURLExample)
	default:
		// Parsing connects to nothing. Its error may quote the string, and
		// with it a password: say only what is wrong.
		if pc, err := pgxpool.ParseConfig(fc.DatabaseURL); err != nil {
			v.add("database_url", "not a PostgreSQL connection string (want %s or key=value pairs)", databaseURLExample)
		} else {
			v.secret(pc.ConnConfig.Password)
		}
		cfg.DatabaseURL = secret(fc.DatabaseURL)
	}
	for _, s := range []struct{ key, name string }{
		{"data_schema", cfg.DataSchema}, {"state_schema", cfg.StateSchema}, {"river_schema", cfg.RiverSchema},
	} {
		if err := migrations.ValidateSchemaName(s.name); err != nil {
			v.add(s.key, "%q: want lowercase letters, digits and underscores, not starting with a digit, at most 63 characters", s.name)
		}
	}

	if len(fc.Accounts) == 0 {
		v.add("accounts", "at least one account is required")
	}
	global := v.notify("notify", fc.Notify)
	seen := map[string]string{}
	for i, fa := range fc.Accounts {
		path := fmt.Sprintf("accounts[%d]", i)
		a := v.account(path, fa)
		a.Notify = global
		if fa.Notify != nil {
			a.Notify = v.notify(path+".notify", fa.Notify)
		}
		if prev, dup := seen[a.Name]; dup && a.Name != "" {
			v.add(path+".name", "%q is already the name of %s: names must be unique", a.Name, prev)
		}
		seen[a.Name] = path
		cfg.Accounts = append(cfg.Accounts, a)
	}

	cfg.Worker = v.worker(fc.Worker)
	cfg.HTTP = v.http(fc.HTTP)
	cfg.Log = v.log(fc.Log)
	cfg.Warnings = v.warnings
	v.secret(fc.HTTP.AuthToken)
	cfg.secrets = v.secrets
	return cfg
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (v *validator) account(path string, fa fileAccount) accountConfig {
	a := accountConfig{Name: fa.Name, BaseURL: orDefault(fa.BaseURL, keap.DefaultBaseURL), APIKeyFile: fa.APIKeyFile}
	switch {
	case fa.Name == "":
		v.add(path+".name", "required")
	default:
		if err := jobs.ValidateAccountName(fa.Name); err != nil {
			v.add(path+".name", "%v", err)
		}
	}
	if u, err := url.Parse(a.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.add(path+".base_url", "%q: want an absolute https URL such as %s", a.BaseURL, keap.DefaultBaseURL)
	} else if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		v.add(path+".base_url", "%q: want https (the API key would cross the network in clear text; http is only for a simulator on loopback)", a.BaseURL)
	} else if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		v.add(path+".base_url", "must not carry a query, fragment or user info")
	}

	key := fa.APIKey
	switch {
	case fa.APIKey != "" && fa.APIKeyFile != "":
		v.add(path+".api_key", "give api_key or api_key_file, not both")
	case fa.APIKeyFile != "":
		b, err := readLimited(fa.APIKeyFile, maxAPIKeyFileBytes)
		if err != nil {
			v.add(path+".api_key_file", "%v", scrubPathError(err))
			break
		}
		key = strings.TrimSpace(string(b))
		if key == "" {
			v.add(path+".api_key_file", "%s is empty", fa.APIKeyFile)
		}
		if info, err := os.Stat(fa.APIKeyFile); err == nil && info.Mode().Perm()&apiKeyFileOpenBits != 0 {
			v.warn("%s.api_key_file: %s is readable by other users (mode %04o); chmod 600 it", path, fa.APIKeyFile, info.Mode().Perm())
		}
	case fa.APIKey == "":
		v.add(path+".api_key", "required (write api_key: ${KEAP_API_KEY} and export the key, or api_key_file: /path/to/key)")
	case !v.expanded[path+".api_key"]:
		v.warn("%s.api_key is written in the configuration file: prefer api_key: ${KEAP_API_KEY} or api_key_file", path)
	}
	if strings.ContainsAny(key, " \t\r\n") {
		v.add(path+".api_key", "holds white space")
	}
	a.APIKey = keap.NewAPIKey(key)
	v.secret(key)

	a.Schedule = v.schedule(path+".schedule", fa.Schedule, defaultSchedule)
	a.ReconcileDeletes = v.schedule(path+".reconcile_deletes", fa.ReconcileDeletes, defaultReconcile)

	if fa.Streams != nil && len(fa.Streams) == 0 {
		v.add(path+".streams", "empty: list streams, or leave the key out to sync every stream")
	}
	dup := map[string]bool{}
	for j, s := range fa.Streams {
		spath := fmt.Sprintf("%s.streams[%d]", path, j)
		if _, ok := keap.StreamByName(s); !ok {
			v.add(spath, "unknown stream %q (streams: %s)", s, strings.Join(streamNames(), ", "))
		}
		if dup[s] {
			v.add(spath, "%q is listed twice", s)
		}
		dup[s] = true
	}
	a.Streams = fa.Streams

	emails, _ := keap.StreamByName("emails")
	a.EmailRereadWindow = emails.RereadWindow // the catalogue's default
	if w := fa.EmailRereadWindow; w != nil {
		if d := time.Duration(*w); d < 0 || d > 365*24*time.Hour {
			v.add(path+".email_reread_window", "must be between 0 and 365d, got %v", d)
		} else {
			a.EmailRereadWindow = d
		}
	}

	a.Quota = v.quota(path+".quota", fa.Quota)
	return a
}

// notify checks a notify section (none when fn is nil). A webhook URL is a
// secret: no message quotes it.
func (v *validator) notify(path string, fn *fileNotify) notifyConfig {
	if fn == nil {
		return notifyConfig{}
	}
	nc := notifyConfig{Format: orDefault(fn.Format, jobs.FormatJSON)}
	if nc.Format != jobs.FormatJSON && nc.Format != jobs.FormatSlack {
		v.add(path+".format", "%q: want %s or %s", fn.Format, jobs.FormatJSON, jobs.FormatSlack)
	}
	hook := fn.WebhookURL
	switch {
	case fn.WebhookURL != "" && fn.WebhookURLFile != "":
		v.add(path+".webhook_url", "give webhook_url or webhook_url_file, not both")
		return nc
	case fn.WebhookURL == off:
		return nc // this account is not notified, whatever the global section says
	case fn.WebhookURLFile != "":
		b, err := readLimited(fn.WebhookURLFile, maxAPIKeyFileBytes)
		if err != nil {
			v.add(path+".webhook_url_file", "%v", scrubPathError(err))
			return nc
		}
		hook = strings.TrimSpace(string(b))
	case fn.WebhookURL == "":
		v.add(path+".webhook_url", "required (webhook_url: ${KEAPSYNC_WEBHOOK_URL}, webhook_url_file: /path, or off)")
		return nc
	case !v.expanded[path+".webhook_url"]:
		v.warn("%s.webhook_url is written in the configuration file: a webhook's URL is its secret; prefer webhook_url: ${KEAPSYNC_WEBHOOK_URL} or webhook_url_file", path)
	}
	u, err := url.Parse(hook)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(hook, " \t\r\n") {
		v.add(path+".webhook_url", "want an https:// URL (the value is not shown: it is a secret)")
		return nc
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		v.warn("%s.webhook_url is http: its token and the incidents cross the network in clear text; prefer https", path)
	}
	nc.WebhookURL = secret(hook)
	v.secret(hook)
	return nc
}

// scrubPathError keeps the operation and the reason of a file error.
func scrubPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

func (v *validator) warn(format string, args ...any) {
	v.warnings = append(v.warnings, fmt.Sprintf(format, args...))
}

func (v *validator) schedule(path, expr, def string) string {
	switch strings.TrimSpace(expr) {
	case "":
		return def
	case off:
		return ""
	}
	if _, err := jobs.ParseSchedule(expr); err != nil {
		v.add(path, "%q is not a cron schedule (five fields such as \"0 2 * * *\", or @daily, optionally after CRON_TZ=Zone; \"off\" disables)", expr)
		return ""
	}
	return expr
}

func (v *validator) quota(path string, fq fileQuota) keap.QuotaConfig {
	q := keap.QuotaConfig{PerSecond: defaultPerSecond, PerMinute: defaultPerMinute, PerDay: defaultPerDay, BackgroundShare: defaultBackgroundShare}
	positive := func(key string, n int64) bool {
		if n < 1 {
			v.add(path+"."+key, "must be at least 1, got %d", n)
			return false
		}
		return true
	}
	if fq.PerSecond != nil && positive("per_second", int64(*fq.PerSecond)) {
		q.PerSecond = *fq.PerSecond
	}
	if fq.PerMinute != nil && positive("per_minute", int64(*fq.PerMinute)) {
		q.PerMinute = *fq.PerMinute
	}
	if fq.PerDay != nil && positive("per_day", *fq.PerDay) {
		q.PerDay = *fq.PerDay
	}
	if fq.Reserve != nil {
		switch {
		case *fq.Reserve < 0:
			v.add(path+".reserve", "must not be negative, got %d", *fq.Reserve)
		case *fq.Reserve >= q.PerDay:
			v.add(path+".reserve", "must be less than per_day (%d), got %d", q.PerDay, *fq.Reserve)
		default:
			q.Reserve = *fq.Reserve
		}
	}
	if fq.BackgroundShare != nil {
		if s := *fq.BackgroundShare; s <= 0 || s > 1 {
			v.add(path+".background_share", "must be more than 0 and at most 1, got %g", s)
		} else {
			q.BackgroundShare = s
		}
	}
	return q
}

func (v *validator) worker(fw fileWorker) workerConfig {
	w := workerConfig{Concurrency: defaultConcurrency, JobTimeout: defaultJobTimeout, Overlap: defaultOverlap,
		MaxAttempts: defaultMaxAttempts, ShutdownTimeout: defaultShutdownTimeout}
	if fw.Concurrency != nil {
		if n := *fw.Concurrency; n < 1 || n > 1000 {
			v.add("worker.concurrency", "must be 1 to 1000, got %d", n)
		} else {
			w.Concurrency = n
		}
	}
	if fw.PageSize != nil {
		if n := *fw.PageSize; n < 1 || n > 1000 {
			v.add("worker.page_size", "must be 1 to 1000, got %d", n)
		} else {
			w.PageSize = n
		}
	}
	if fw.MaxAttempts != nil {
		if n := *fw.MaxAttempts; n < 1 {
			v.add("worker.max_attempts", "must be at least 1, got %d", n)
		} else {
			w.MaxAttempts = n
		}
	}
	for _, d := range []struct {
		key string
		in  *duration
		out *time.Duration
		min time.Duration
	}{
		{"job_timeout", fw.JobTimeout, &w.JobTimeout, time.Second},
		{"overlap", fw.Overlap, &w.Overlap, 0},
		{"shutdown_timeout", fw.ShutdownTimeout, &w.ShutdownTimeout, 0},
		{"rescue_after", fw.RescueAfter, &w.RescueAfter, time.Second},
	} {
		if d.in == nil {
			continue
		}
		if got := time.Duration(*d.in); got < d.min || (got == 0 && d.key != "overlap") {
			v.add("worker."+d.key, "must be at least %v, got %v", max(d.min, time.Second), got)
		} else {
			*d.out = got
		}
	}
	if w.RescueAfter != 0 && w.RescueAfter <= w.JobTimeout {
		v.add("worker.rescue_after", "must be longer than worker.job_timeout (%v), or running jobs would be rescued, got %v", w.JobTimeout, w.RescueAfter)
	}
	return w
}

func (v *validator) http(fh fileHTTP) httpConfig {
	h := httpConfig{Listen: defaultListen, AuthToken: secret(fh.AuthToken)}
	if fh.Listen != nil {
		h.Listen = strings.TrimSpace(*fh.Listen)
	}
	if fh.AuthToken != "" && len(fh.AuthToken) < minAuthTokenLength {
		v.add("http.auth_token", "too short: at least %d characters (try: openssl rand -hex 32)", minAuthTokenLength)
	}
	for i, ah := range fh.AllowedHosts {
		ah = strings.TrimSpace(ah)
		if !validHostName(ah) {
			v.add(fmt.Sprintf("http.allowed_hosts[%d]", i), "%q: want a host name with an optional port, such as keapsync.example.com or keapsync.internal:8443", ah)
			continue
		}
		h.AllowedHosts = append(h.AllowedHosts, ah)
	}
	switch h.Listen {
	case off:
		h.Listen = ""
		return h
	case "":
		v.add("http.listen", "empty: give host:port, or off")
		return h
	}
	host, port, err := net.SplitHostPort(h.Listen)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		v.add("http.listen", "%q: want host:port, such as %s", h.Listen, defaultListen)
		return h
	}
	if !isLoopbackHost(host) && fh.AuthToken == "" {
		v.add("http.listen", "%q is not a loopback address: set http.auth_token too (River UI can retry and cancel jobs, and metrics describe your accounts)", h.Listen)
	}
	return h
}

// validHostName reports whether s is a DNS name or IP address, with an
// optional :port, and nothing else (no scheme, path or wildcard).
func validHostName(s string) bool {
	host := s
	if h, port, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return false
		}
		host = h
	}
	if net.ParseIP(host) != nil {
		return true
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// isLoopbackHost reports whether host (from host:port) can be reached
// only from this machine. An empty host means every interface.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (v *validator) log(fl fileLog) logConfig {
	l := logConfig{Format: orDefault(fl.Format, defaultLogFormat), LevelSet: fl.Level != ""}
	if l.Format != "text" && l.Format != "json" {
		v.add("log.format", "%q: want text or json", fl.Format)
	}
	level, err := parseLevel(orDefault(fl.Level, defaultLogLevel))
	if err != nil {
		v.add("log.level", "%v", err)
	}
	l.Level = level
	return l
}

// parseLevel parses debug, info, warn or error.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q: want debug, info, warn or error", s)
}

func streamNames() []string {
	names := make([]string, len(keap.Streams))
	for i, s := range keap.Streams {
		names[i] = s.Name
	}
	return names
}
