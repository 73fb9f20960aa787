package main

import (
	"fmt"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"
)

func (a *app) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check the configuration",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and print it with every default, secrets redacted",
		Long: `Check reads the configuration file, expands ${VAR} and ${VAR:-default},
validates every key and prints the configuration as keapsync will use it,
every default filled in and every secret (API keys, the HTTP token, the
database password) redacted. It touches neither the database nor Keap.
Exit status 2 when the configuration is invalid.`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			a.warn(cfg)
			out, err := yaml.MarshalWithOptions(printable(cfg), yaml.IndentSequence(true))
			if err != nil {
				return fmt.Errorf("config check: %w", err)
			}
			fmt.Fprintf(a.stdout, "# %s is valid: %d account(s). Defaults filled in, secrets redacted.\n%s",
				cfg.File, len(cfg.Accounts), out)
			return nil
		},
	}, a.configSchemaCommand())
	return cmd
}

// printedConfig is the configuration as config check prints it.
type printedConfig struct {
	DatabaseURL string           `yaml:"database_url"`
	DataSchema  string           `yaml:"data_schema"`
	StateSchema string           `yaml:"state_schema"`
	RiverSchema string           `yaml:"river_schema"`
	Accounts    []printedAccount `yaml:"accounts"`
	Worker      printedWorker    `yaml:"worker"`
	HTTP        printedHTTP      `yaml:"http"`
	Log         printedLog       `yaml:"log"`
}

type printedAccount struct {
	Name              string        `yaml:"name"`
	BaseURL           string        `yaml:"base_url"`
	APIKey            string        `yaml:"api_key,omitempty"`
	APIKeyFile        string        `yaml:"api_key_file,omitempty"`
	Schedule          string        `yaml:"schedule"`
	Streams           []string      `yaml:"streams"`
	ReconcileDeletes  string        `yaml:"reconcile_deletes"`
	Quota             printedQuota  `yaml:"quota"`
	Notify            printedNotify `yaml:"notify"`
	EmailRereadWindow string        `yaml:"email_reread_window"`
}

type printedNotify struct {
	WebhookURL string `yaml:"webhook_url"` // redacted, or off
	Format     string `yaml:"format,omitempty"`
}

type printedQuota struct {
	PerSecond       int     `yaml:"per_second"`
	PerMinute       int     `yaml:"per_minute"`
	PerDay          int64   `yaml:"per_day"`
	Reserve         int64   `yaml:"reserve"`
	BackgroundShare float64 `yaml:"background_share"`
}

type printedWorker struct {
	Concurrency     int    `yaml:"concurrency"`
	JobTimeout      string `yaml:"job_timeout"`
	Overlap         string `yaml:"overlap"`
	MaxAttempts     int    `yaml:"max_attempts"`
	ShutdownTimeout string `yaml:"shutdown_timeout"`
	RescueAfter     string `yaml:"rescue_after"`
	PageSize        string `yaml:"page_size"`
}

type printedHTTP struct {
	Listen       string   `yaml:"listen"`
	AuthToken    string   `yaml:"auth_token"`
	AllowedHosts []string `yaml:"allowed_hosts,omitempty"`
}

type printedLog struct {
	Format string `yaml:"format"`
	Level  string `yaml:"level"`
}

// printable is cfg with its secrets redacted.
func printable(cfg *config) printedConfig {
	rescue := cfg.Worker.RescueAfter
	if rescue == 0 {
		rescue = cfg.Worker.JobTimeout + 30*time.Second
	}
	pageSize := "largest"
	if cfg.Worker.PageSize > 0 {
		pageSize = strconv.Itoa(cfg.Worker.PageSize)
	}
	p := printedConfig{
		DatabaseURL: redactDatabaseURL(cfg.DatabaseURL.reveal()),
		DataSchema:  cfg.DataSchema, StateSchema: cfg.StateSchema, RiverSchema: cfg.RiverSchema,
		Worker: printedWorker{
			Concurrency: cfg.Worker.Concurrency, JobTimeout: cfg.Worker.JobTimeout.String(), Overlap: cfg.Worker.Overlap.String(),
			MaxAttempts: cfg.Worker.MaxAttempts, ShutdownTimeout: cfg.Worker.ShutdownTimeout.String(),
			RescueAfter: rescue.String(), PageSize: pageSize,
		},
		HTTP: printedHTTP{Listen: orDefault(cfg.HTTP.Listen, off), AuthToken: cfg.HTTP.AuthToken.String(), AllowedHosts: slices.Clone(cfg.HTTP.AllowedHosts)},
		Log:  printedLog{Format: cfg.Log.Format, Level: strings.ToLower(cfg.Log.Level.String())},
	}
	for _, a := range cfg.Accounts {
		pa := printedAccount{
			Name: a.Name, BaseURL: a.BaseURL, APIKeyFile: a.APIKeyFile,
			Schedule: orDefault(a.Schedule, off), ReconcileDeletes: orDefault(a.ReconcileDeletes, off),
			Streams: slices.Clone(a.Streams), EmailRereadWindow: configDuration(a.EmailRereadWindow),
			Quota: printedQuota{PerSecond: a.Quota.PerSecond, PerMinute: a.Quota.PerMinute, PerDay: a.Quota.PerDay,
				Reserve: a.Quota.Reserve, BackgroundShare: a.Quota.BackgroundShare},
		}
		if a.APIKeyFile == "" {
			pa.APIKey = a.APIKey.String()
		}
		pa.Notify = printedNotify{WebhookURL: off}
		if a.Notify.WebhookURL != "" {
			pa.Notify = printedNotify{WebhookURL: a.Notify.WebhookURL.String(), Format: a.Notify.Format}
		}
		if len(pa.Streams) == 0 {
			pa.Streams = streamNames()
		}
		p.Accounts = append(p.Accounts, pa)
	}
	scrubStrings(reflect.ValueOf(&p).Elem(), cfg.secrets)
	return p
}

// scrubStrings replaces every secret inside the strings of v (a struct,
// slice or string, walked deeply) by [redacted].
func scrubStrings(v reflect.Value, secrets []string) {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		for _, sec := range secrets {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
		v.SetString(s)
	case reflect.Struct:
		for i := range v.NumField() {
			scrubStrings(v.Field(i), secrets)
		}
	case reflect.Slice:
		for i := range v.Len() {
			scrubStrings(v.Index(i), secrets)
		}
	}
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and build information",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(a.stdout, versionString())
			return err
		},
	}
}

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = ""

// versionString describes this binary: its version, Go and platform, and
// the commit it was built from when the build recorded it.
func versionString() string {
	v := version
	info, ok := debug.ReadBuildInfo()
	if v == "" && ok {
		v = info.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	s := fmt.Sprintf("keapsync %s (%s, %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if ok {
		settings := map[string]string{}
		for _, kv := range info.Settings {
			settings[kv.Key] = kv.Value
		}
		if rev := settings["vcs.revision"]; rev != "" {
			s += ", commit " + rev[:min(len(rev), 12)]
			if settings["vcs.modified"] == "true" {
				s += " modified"
			}
			if t := settings["vcs.time"]; t != "" {
				s += " of " + t
			}
		}
	}
	return s + ")"
}

// configDuration writes d as the configuration reads it: whole days as
// "30d", anything else as Go writes durations.
func configDuration(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}
