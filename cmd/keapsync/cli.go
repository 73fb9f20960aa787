package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// app is what every command shares: its input and output, its
// environment and the global flags. Commands read the environment only
// through getenv, so tests run them in-process with an environment of
// their own.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) (string, bool)

	// stdoutTTY says stdout is a terminal: progress is redrawn in place.
	stdoutTTY bool
	// stdinTTY says stdin is a terminal (the demo may wait for Enter).
	stdinTTY bool
	// width is the terminal's width (0: unknown), so redrawn lines never
	// wrap.
	width func() int

	// The global flags.
	configPath string
	logFormat  string
	logLevel   string

	// ran is set once a command's own code starts: an error before it is
	// bad usage (exit 2).
	ran bool
}

// usageError is a command line the command cannot act on (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

// The exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // a failure at run time
	exitUsage   = 2 // bad usage or bad configuration, before any side effect
)

// run runs the command line args and returns the exit status, having
// printed any error on stderr.
func run(ctx context.Context, a *app, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code := a.exitCode(err)
	fmt.Fprintf(a.stderr, "keapsync: %v\n", err)
	var ce *configError
	if code == exitUsage && !errors.As(err, &ce) && cmd != nil {
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

func (a *app) exitCode(err error) int {
	var (
		ce *configError
		ue *usageError
	)
	switch {
	case errors.As(err, &ce), errors.As(err, &ue), !a.ran:
		return exitUsage
	}
	return exitFailure
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "keapsync",
		Short: "Copy Keap CRM accounts into PostgreSQL within Keap's API quotas",
		Long: `keapsync copies Keap CRM accounts (formerly Infusionsoft) into a PostgreSQL
warehouse on a schedule, without ever exceeding Keap's API quotas.

Start with "keapsync demo" (no Keap account needed), then write a
configuration (config.example.yaml documents every key), run
"keapsync migrate" once and "keapsync work" as a service.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.checkLogFlags(); err != nil {
				return err
			}
			a.ran = true
			return nil
		},
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: true},
		Version:           versionString(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	defaultConfig := defaultConfigFile
	if env, ok := a.getenv("KEAPSYNC_CONFIG"); ok && env != "" {
		defaultConfig = env
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&a.configPath, "config", "c", defaultConfig, "configuration file ($KEAPSYNC_CONFIG, else keapsync.yaml)")
	pf.StringVar(&a.logFormat, "log-format", "", "log format on stderr: text or json (default: log.format, else text)")
	pf.StringVar(&a.logLevel, "log-level", "", "log level: debug, info, warn or error (default: log.level, else info for work, warn otherwise)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })

	root.AddCommand(
		a.migrateCommand(),
		a.workCommand(),
		a.syncCommand(),
		a.statusCommand(),
		a.jobsCommand(),
		a.planCommand(),
		a.quotaCommand(),
		a.pauseCommand(),
		a.resumeCommand(),
		a.checkpointCommand(),
		a.configCommand(),
		a.readyCommand(),
		a.demoCommand(),
		a.versionCommand(),
	)
	return root
}

func (a *app) checkLogFlags() error {
	if a.logFormat != "" && a.logFormat != "text" && a.logFormat != "json" {
		return usagef("--log-format %q: want text or json", a.logFormat)
	}
	if a.logLevel != "" {
		if _, err := parseLevel(a.logLevel); err != nil {
			return usagef("--log-level %v", err)
		}
	}
	return nil
}

// loadConfig loads the configuration named by --config.
func (a *app) loadConfig() (*config, error) {
	return loadConfig(a.configPath, a.getenv)
}

// logger builds the logger of a command: the flags, else the
// configuration (cfg may be nil), else text at defaultLevel.
func (a *app) logger(cfg *config, defaultLevel slog.Level) *slog.Logger {
	format, level := defaultLogFormat, defaultLevel
	if cfg != nil {
		format = cfg.Log.Format
		if cfg.Log.LevelSet {
			level = cfg.Log.Level
		}
	}
	if a.logFormat != "" {
		format = a.logFormat
	}
	if a.logLevel != "" {
		level, _ = parseLevel(a.logLevel) // checked in PersistentPreRunE
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(a.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(a.stderr, opts))
}

// warn prints the configuration's warnings on stderr.
func (a *app) warn(cfg *config) {
	for _, w := range cfg.Warnings {
		fmt.Fprintf(a.stderr, "keapsync: warning: %s\n", w)
	}
}

// osApp is the app of the real process.
func osApp() *app {
	return &app{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		getenv:    os.LookupEnv,
		stdoutTTY: isTerminal(os.Stdout),
		stdinTTY:  isTerminal(os.Stdin),
		width:     func() int { return terminalWidth(os.Stdout) },
	}
}

// parseIDs parses job ids.
func parseIDs(args []string) ([]int64, error) {
	ids := make([]int64, 0, len(args))
	for _, s := range args {
		var id int64
		if _, err := fmt.Sscan(strings.TrimSpace(s), &id); err != nil || id <= 0 || fmt.Sprint(id) != strings.TrimSpace(s) {
			return nil, usagef("%q is not a job id (a positive whole number, as jobs list shows)", s)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// newProgress returns the progress display of a command writing to w.
func (a *app) newProgress(w io.Writer, tty bool) *progress {
	pr := newProgress(w, tty, time.Now)
	if a.width != nil {
		pr.width = a.width
	}
	return pr
}
