package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"

	"github.com/keapsync/keapsync/keap"
)

// Defaults of the configuration, as config.example.yaml documents them.
const (
	defaultConfigFile      = "keapsync.yaml"
	defaultSchedule        = "0 2 * * *"
	defaultReconcile       = "0 3 * * 0"
	defaultListen          = "127.0.0.1:9090"
	defaultConcurrency     = 4
	defaultJobTimeout      = 60 * time.Second
	defaultOverlap         = 10 * time.Minute
	defaultMaxAttempts     = 10
	defaultShutdownTimeout = 30 * time.Second
	defaultPerSecond       = 5
	defaultPerMinute       = 120
	defaultPerDay          = 15_000
	defaultBackgroundShare = 0.9
	defaultLogFormat       = "text"
	defaultLogLevel        = "info"
)

const (
	off                = "off" // disables a schedule or the HTTP server
	redactedText       = "[redacted]"
	minAuthTokenLength = 16
	maxConfigFileBytes = 1 << 20
	maxAPIKeyFileBytes = 64 << 10
	databaseURLExample = "postgres://user:password@host:5432/dbname"
	// apiKeyFileOpenBits are the permission bits that let other users
	// read an api_key_file.
	apiKeyFileOpenBits = 0o077
)

// fileConfig is the configuration file's shape. Optional numbers are
// pointers, so an absent key takes its default and a written zero is
// checked like any other value. The doc and enum tags describe each key in
// the JSON Schema generated from this structure (keapsync config schema).
type fileConfig struct {
	DatabaseURL string        `yaml:"database_url" doc:"PostgreSQL holding the warehouse, keapsync's state and River's jobs: postgres://user:password@host:5432/dbname or key=value pairs. Required; give it from the environment (${DATABASE_URL})."`
	DataSchema  string        `yaml:"data_schema" doc:"Schema of the analysts' tables. Default keap."`
	StateSchema string        `yaml:"state_schema" doc:"Schema of keapsync's own state (checkpoints, runs, the quota ledger). Default keapsync."`
	RiverSchema string        `yaml:"river_schema" doc:"Schema of River's job tables. Default river."`
	Accounts    []fileAccount `yaml:"accounts" doc:"The Keap accounts to sync. At least one."`
	Worker      fileWorker    `yaml:"worker" doc:"How this process works jobs (per process)."`
	HTTP        fileHTTP      `yaml:"http" doc:"The HTTP server of keapsync work: /healthz, /readyz, /metrics, /status, River UI."`
	Log         fileLog       `yaml:"log" doc:"Logs on stderr."`
	Notify      *fileNotify   `yaml:"notify" doc:"Where incidents are posted (a failed run, a discarded job, a rejected key, a stale stream): once when one opens, once when it recovers."`
}

type fileAccount struct {
	Name             string      `yaml:"name" doc:"Names the account in the warehouse, the quota ledger and the job queue: lowercase letters and digits, single underscores between them, at most 50 characters; unique. Required." pattern:"^[a-z0-9]+(_[a-z0-9]+)*$" required:"true"`
	BaseURL          string      `yaml:"base_url" doc:"Keap's REST base URL. Default https://api.infusionsoft.com/crm/rest."`
	APIKey           string      `yaml:"api_key" doc:"The account's Personal Access Token or Service Account Key: ${KEAP_API_KEY}. Give api_key or api_key_file."`
	APIKeyFile       string      `yaml:"api_key_file" doc:"A file holding only the API key (chmod 600)."`
	Schedule         string      `yaml:"schedule" doc:"Cron schedule of the sync (five fields, @daily, @every 6h; CRON_TZ=<zone> prefix; else UTC), or off. Default 0 2 * * *."`
	Streams          []string    `yaml:"streams" doc:"The streams to sync. Default every stream." enum:"streams"`
	ReconcileDeletes string      `yaml:"reconcile_deletes" doc:"Cron schedule of the delete reconciliation, or off. Default 0 3 * * 0."`
	Quota            fileQuota   `yaml:"quota" doc:"The quota keapsync keeps to for this key; Keap's headers only tighten it."`
	Notify           *fileNotify `yaml:"notify" doc:"This account's notifications, instead of the global notify section."`
	// EmailRereadWindow is a duration in the file ("30d", "720h").
	EmailRereadWindow *duration `yaml:"email_reread_window" doc:"How far back each incremental sync of emails reads again, so that opens and clicks after sending land (Keap filters emails on creation time only): a duration such as 30d or 720h, at most 365d; 0s reads only new emails. Default 30d."`
}

type fileNotify struct {
	WebhookURL     string `yaml:"webhook_url" doc:"The webhook's URL (a secret: give it from the environment), or off."`
	WebhookURLFile string `yaml:"webhook_url_file" doc:"A file holding only the webhook's URL."`
	Format         string `yaml:"format" doc:"json (the incident as an object) or slack ({\"text\": ...}). Default json." enum:"json,slack"`
}

type fileQuota struct {
	PerSecond       *int     `yaml:"per_second" doc:"Calls per second, spaced evenly. Default 5." minimum:"1"`
	PerMinute       *int     `yaml:"per_minute" doc:"Calls in any rolling minute. Default 120." minimum:"1"`
	PerDay          *int64   `yaml:"per_day" doc:"Calls a day. Default 15000." minimum:"1"`
	Reserve         *int64   `yaml:"reserve" doc:"Calls a day left unused for other integrations. Default 0; less than per_day." minimum:"0"`
	BackgroundShare *float64 `yaml:"background_share" doc:"Share of the day's budget backfills may spend: more than 0, at most 1. Default 0.9." exclusiveMinimum:"0" maximum:"1"`
}

type fileWorker struct {
	Concurrency     *int      `yaml:"concurrency" doc:"Jobs of each account worked at once by this process: 1 to 1000. Default 4." minimum:"1" maximum:"1000"`
	JobTimeout      *duration `yaml:"job_timeout" doc:"The longest a page job may take. Default 60s."`
	Overlap         *duration `yaml:"overlap" doc:"How far before the checkpoint an incremental sync reads again. Default 10m."`
	MaxAttempts     *int      `yaml:"max_attempts" doc:"Attempts of a failing page job before it is discarded. Default 10." minimum:"1"`
	ShutdownTimeout *duration `yaml:"shutdown_timeout" doc:"On SIGTERM, how long running page jobs may finish. Default 30s."`
	RescueAfter     *duration `yaml:"rescue_after" doc:"How long a job may run before River presumes its worker dead; longer than job_timeout. Default job_timeout + 30s."`
	PageSize        *int      `yaml:"page_size" doc:"Caps the records per page (for tests; leave unset)." minimum:"1"`
}

type fileHTTP struct {
	Listen       *string  `yaml:"listen" doc:"host:port to listen on, or off. Default 127.0.0.1:9090; any other address requires auth_token."`
	AuthToken    string   `yaml:"auth_token" doc:"Token required on every endpoint but /healthz and /readyz: at least 16 characters, from the environment."`
	AllowedHosts []string `yaml:"allowed_hosts" doc:"Host names requests may carry besides the listen address and this machine's: a reverse proxy's public name."`
}

type fileLog struct {
	Format string `yaml:"format" doc:"text or json. Default text." enum:"text,json"`
	Level  string `yaml:"level" doc:"debug, info, warn or error. Default info for work, warn for the other commands." enumFold:"debug,info,warn,warning,error"`
}

// duration is a time.Duration written with its unit ("30s"); a bare
// number is refused (it would silently mean nanoseconds).
type duration time.Duration

// UnmarshalText parses "30s", "5m", "1h30m", and whole days: "30d".
func (d *duration) UnmarshalText(b []byte) error {
	if days, ok := strings.CutSuffix(string(b), "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100_000 {
			return fmt.Errorf("time: invalid duration %q", string(b))
		}
		*d = duration(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

// config is a validated configuration with every default applied. It
// prints no secret: the API keys are keap.APIKey and the token a secret.
type config struct {
	File        string
	DatabaseURL secret // may hold a password
	DataSchema  string
	StateSchema string
	RiverSchema string
	Accounts    []accountConfig
	Worker      workerConfig
	HTTP        httpConfig
	Log         logConfig

	// Warnings are advice that does not stop the configuration loading.
	Warnings []string

	// secrets are the secret values read (API keys, the HTTP token, the
	// webhook URLs, the database password): config check scrubs them from
	// any other value it prints, wherever a file also wrote them.
	secrets []string
}

type accountConfig struct {
	Name       string
	BaseURL    string
	APIKey     keap.APIKey
	APIKeyFile string
	// Schedule and ReconcileDeletes are cron expressions; "" is off.
	Schedule         string
	ReconcileDeletes string
	Streams          []string // empty: every stream
	Quota            keap.QuotaConfig
	Notify           notifyConfig
	// EmailRereadWindow is how far back incremental runs of emails read
	// again; 0: only new emails.
	EmailRereadWindow time.Duration
}

// notifyConfig is where an account's incidents are posted.
type notifyConfig struct {
	WebhookURL secret // "" is none; its path is often the token
	Format     string // json or slack
}

type workerConfig struct {
	Concurrency     int
	JobTimeout      time.Duration
	Overlap         time.Duration
	MaxAttempts     int
	ShutdownTimeout time.Duration
	RescueAfter     time.Duration // 0: job_timeout + 30s
	PageSize        int           // 0: each stream's largest
}

type httpConfig struct {
	Listen    string // "" is off
	AuthToken secret
	// AllowedHosts are the host names (with an optional port) requests may
	// name in Host besides the listen address, localhost, this machine's
	// name and IP addresses: a reverse proxy's public name.
	AllowedHosts []string
}

type logConfig struct {
	Format string
	Level  slog.Level
	// LevelSet says log.level was written: commands other than work then
	// keep to it instead of their quieter default.
	LevelSet bool
}

// secret is a string that prints as [redacted] in every fmt verb, in
// slog and in JSON.
type secret string

func (s secret) String() string {
	if s == "" {
		return ""
	}
	return redactedText
}

// Format prints the redacted form for every verb.
func (s secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// LogValue keeps the secret out of logs.
func (s secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps the secret out of JSON and YAML.
func (s secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// reveal returns the secret itself, for the one place that needs it.
func (s secret) reveal() string { return string(s) }

// configProblem is one thing wrong with a configuration file.
type configProblem struct {
	line int    // 0: not tied to a line
	path string // the key, "accounts[0].schedule"; "" for the file
	msg  string
}

// configError lists everything wrong with a configuration file. It is a
// bad configuration: the command exits with status 2 before any side
// effect.
type configError struct {
	file     string
	problems []configProblem
}

func (e *configError) Error() string {
	lines := make([]string, 0, len(e.problems))
	for _, p := range e.problems {
		var b strings.Builder
		b.WriteString(e.file)
		if p.line > 0 {
			fmt.Fprintf(&b, ":%d", p.line)
		}
		b.WriteString(": ")
		if p.path != "" {
			b.WriteString(p.path + ": ")
		}
		b.WriteString(p.msg)
		lines = append(lines, b.String())
	}
	if len(lines) == 1 {
		return "invalid configuration: " + lines[0]
	}
	return fmt.Sprintf("invalid configuration (%d problems):\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// loadConfig reads, expands and validates the configuration file at path.
// It touches neither the database nor the network; it reads the file and
// any api_key_file.
func loadConfig(path string, getenv func(string) (string, bool)) (*config, error) {
	src, err := readLimited(path, maxConfigFileBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &configError{file: path, problems: []configProblem{{msg: "no such file (name one with -c/--config or $KEAPSYNC_CONFIG; config.example.yaml documents every key)"}}}
	}
	if err != nil {
		return nil, &configError{file: path, problems: []configProblem{{msg: err.Error()}}}
	}
	return parseConfig(path, src, getenv)
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, limit+1)
	n, err := f.Read(b)
	for err == nil && n < len(b) {
		var m int
		m, err = f.Read(b[n:])
		n += m
	}
	if int64(n) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b[:n], nil
}

// parseConfig validates src, the configuration file named file.
func parseConfig(file string, src []byte, getenv func(string) (string, bool)) (*config, error) {
	expanded, exps, expErrs := expandEnv(string(src), getenv)
	cerr := &configError{file: file}

	ast, err := parser.ParseBytes([]byte(expanded), 0)
	if err != nil {
		cerr.problems = append(cerr.problems, yamlProblem(err))
		scrubExpanded(cerr, exps)
		return nil, cerr
	}
	var fc fileConfig
	checker := &shapeChecker{}
	if len(ast.Docs) > 1 {
		cerr.problems = append(cerr.problems, configProblem{line: ast.Docs[1].GetToken().Position.Line, msg: "more than one YAML document"})
	}
	if len(ast.Docs) > 0 && unwrap(ast.Docs[0]) != nil {
		checker.check(ast.Docs[0], reflect.TypeFor[fileConfig](), "")
	}
	for _, e := range expErrs {
		cerr.problems = append(cerr.problems, configProblem{line: e.line, path: checker.pathAt(e.line, e.col), msg: e.reason})
	}
	cerr.problems = append(cerr.problems, checker.problems...)
	if len(cerr.problems) > 0 {
		scrubExpanded(cerr, exps)
		return nil, cerr
	}
	if len(ast.Docs) > 0 && unwrap(ast.Docs[0]) != nil {
		if err := yaml.NodeToValue(ast.Docs[0].Body, &fc, yaml.DisallowUnknownField()); err != nil {
			cerr.problems = append(cerr.problems, yamlProblem(err))
			scrubExpanded(cerr, exps)
			return nil, cerr
		}
	}
	v := validator{checker: checker, expanded: map[string]bool{}}
	for _, e := range exps {
		v.expanded[checker.pathAt(e.line, e.col)] = true
	}
	cfg := v.validate(&fc)
	cfg.File = file
	if len(v.problems) > 0 {
		cerr.problems = v.problems
		scrubExpanded(cerr, exps)
		return nil, cerr
	}
	return cfg, nil
}

// scrubExpanded replaces, in every problem, the values the environment
// put in the file with the references that put them there: a variable
// may hold a secret, and a file may use it in the wrong place (an API key
// where a number belongs), so an error never quotes one.
func scrubExpanded(cerr *configError, exps []expansion) {
	for i := range cerr.problems {
		for _, e := range exps {
			if e.defaulted || len(e.value) < 4 {
				continue // a default is in the file itself; short values are no secret
			}
			cerr.problems[i].msg = strings.ReplaceAll(cerr.problems[i].msg, e.value, "${"+e.name+"}")
			cerr.problems[i].path = strings.ReplaceAll(cerr.problems[i].path, e.value, "${"+e.name+"}")
		}
	}
}

// yamlProblem turns a YAML parser or decoder error into a problem with its
// line, without the Go type names the decoder mentions.
func yamlProblem(err error) configProblem {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		msg := ye.GetMessage()
		if _, isType := err.(*yaml.TypeError); isType {
			msg = "a value of the wrong kind"
		}
		return configProblem{line: ye.GetToken().Position.Line, msg: "YAML: " + msg}
	}
	return configProblem{msg: "YAML: " + err.Error()}
}

// pgPassword matches a password in a key=value connection string.
var pgPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// redactDatabaseURL hides the password of a connection string, as URL or
// key=value pairs.
func redactDatabaseURL(s string) string {
	if u, err := url.Parse(s); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return pgPassword.ReplaceAllString(s, "${1}xxxxx")
}

// account returns the configured account name, nil if none.
func (c *config) account(name string) *accountConfig {
	for i := range c.Accounts {
		if c.Accounts[i].Name == name {
			return &c.Accounts[i]
		}
	}
	return nil
}

// keapConfig is the Keap client configuration of an account.
func keapConfig(a accountConfig) keap.Config {
	return keap.Config{BaseURL: a.BaseURL, Credential: a.APIKey, Quota: a.Quota}
}
