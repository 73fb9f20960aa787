package migrations

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Default schema names.
const (
	DefaultDataSchema  = "keap"
	DefaultStateSchema = "keapsync"
)

//go:embed sql/*.sql
var embedded embed.FS

// ErrInvalidSchemaName is returned (wrapped) for a schema name that is not a
// plain lowercase identifier.
var ErrInvalidSchemaName = errors.New("invalid schema name")

// schemaName admits names that need no quoting, because goose looks its
// version table up by the bare name.
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidateSchemaName reports whether name can name one of keapsync's
// schemas: 1 to 63 characters of [a-z0-9_], not starting with a digit.
func ValidateSchemaName(name string) error {
	if !schemaName.MatchString(name) {
		return fmt.Errorf("migrations: %q: %w (want [a-z_][a-z0-9_]*, at most 63 characters)", name, ErrInvalidSchemaName)
	}
	return nil
}

// Config says where the migrations go.
type Config struct {
	// DataSchema holds the analysts' tables. Default "keap".
	DataSchema string

	// StateSchema holds keapsync's state and goose's version table.
	// Default "keapsync".
	StateSchema string

	// Logger receives goose's progress. Default: nothing is logged.
	Logger *slog.Logger
}

// WithDefaults returns c with empty fields set to their defaults, or an error
// if a schema name is invalid.
func (c Config) WithDefaults() (Config, error) {
	if c.DataSchema == "" {
		c.DataSchema = DefaultDataSchema
	}
	if c.StateSchema == "" {
		c.StateSchema = DefaultStateSchema
	}
	if err := ValidateSchemaName(c.DataSchema); err != nil {
		return c, err
	}
	if err := ValidateSchemaName(c.StateSchema); err != nil {
		return c, err
	}
	return c, nil
}

// Result lists what Up did.
type Result struct {
	// Applied are the versions applied by this call, in order; empty when
	// the schemas were already up to date.
	Applied []int64

	// Version is the schemas' version after the call.
	Version int64
}

// Up applies every pending migration. Concurrent calls (from any process)
// are serialized by an advisory lock held for the whole run; the later ones
// find nothing left to do.
func Up(ctx context.Context, pool *pgxpool.Pool, cfg Config) (Result, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return Result{}, err
	}
	lockID := advisoryLockID(cfg.StateSchema)
	if err := createStateSchema(ctx, pool, cfg.StateSchema, lockID); err != nil {
		return Result{}, err
	}

	fsys, err := FS(cfg)
	if err != nil {
		return Result{}, err
	}
	// Retry the lock every second for up to ten minutes: a concurrent run
	// normally finishes in well under that.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID), lock.WithLockTimeout(1, 600))
	if err != nil {
		return Result{}, fmt.Errorf("migrations: locker: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	opts := []goose.ProviderOption{
		goose.WithTableName(cfg.StateSchema + ".goose_db_version"),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	}
	if cfg.Logger != nil {
		opts = append(opts, goose.WithSlog(cfg.Logger))
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, fsys, opts...)
	if err != nil {
		return Result{}, fmt.Errorf("migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("migrations: up: %w", err)
	}
	var res Result
	for _, r := range results {
		if !r.Empty {
			res.Applied = append(res.Applied, r.Source.Version)
		}
	}
	if res.Version, err = provider.GetDBVersion(ctx); err != nil {
		return Result{}, fmt.Errorf("migrations: version: %w", err)
	}
	return res, nil
}

// createStateSchema creates the state schema, where goose keeps its version
// table, before goose looks for that table. The transaction-scoped advisory
// lock keeps two concurrent creations from colliding in the catalogue.
func createStateSchema(ctx context.Context, pool *pgxpool.Pool, schema string, lockID int64) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
		return err
	})
	if err != nil {
		return fmt.Errorf("migrations: create schema %s: %w", schema, err)
	}
	return nil
}

// advisoryLockID derives the lock from the state schema, so migrations of
// different schema sets (parallel tests) don't wait for one another.
func advisoryLockID(stateSchema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("keapsync migrate " + stateSchema))
	return int64(h.Sum64())
}

// FS returns the migrations with their schema templates rendered for cfg,
// as goose reads them.
func FS(cfg Config) (fs.FS, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	return renderedFS{base: Source(), cfg: cfg}, nil
}

// Source returns the migration files as written, their schema templates not
// rendered, for tools that read the SQL itself (the warehouse generates its
// table descriptors and row types from it).
func Source() fs.FS {
	sub, err := fs.Sub(embedded, "sql")
	if err != nil {
		panic("migrations: " + err.Error()) // unreachable: "sql" is a valid path
	}
	return sub
}

// template matches the schema templates of keapsync's SQL. They are SQL
// comments, so a file stays valid SQL for psql and linters (River marks its
// schema the same way):
//
//	/* TEMPLATE: data */contacts        -> "keap".contacts
//	/* TEMPLATE_NAME: state */keapsync  -> "keapsync"
//	/* TEMPLATE_LITERAL: data */'keap'  -> 'keap'
//
// TEMPLATE_NAME and TEMPLATE_LITERAL replace the default name that follows
// them, so the unrendered file names the default schemas.
var template = regexp.MustCompile(`/\* TEMPLATE(|_NAME|_LITERAL): (data|state) \*/(?:[a-z_][a-z0-9_]*|'[a-z_][a-z0-9_]*')?`)

// Render replaces the schema templates of sql with cfg's schema names (see
// the package documentation). Schema names are validated by
// Config.WithDefaults, so they need no escaping inside a string literal.
func Render(sql string, cfg Config) string {
	return template.ReplaceAllStringFunc(sql, func(m string) string {
		sub := template.FindStringSubmatch(m)
		schema := cfg.DataSchema
		if sub[2] == "state" {
			schema = cfg.StateSchema
		}
		switch sub[1] {
		case "_NAME":
			return pgx.Identifier{schema}.Sanitize()
		case "_LITERAL":
			return "'" + schema + "'"
		}
		// TEMPLATE: keep the name that follows, qualified.
		return pgx.Identifier{schema}.Sanitize() + "." + m[strings.Index(m, "*/")+2:]
	})
}

// renderedFS serves base's directories as they are and its files with the
// placeholders replaced.
type renderedFS struct {
	base fs.FS
	cfg  Config
}

func (r renderedFS) Open(name string) (fs.File, error) {
	f, err := r.base.Open(name)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		return f, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	body := []byte(Render(buf.String(), r.cfg))
	return &renderedFile{Reader: bytes.NewReader(body), info: renderedInfo{FileInfo: info, size: int64(len(body))}}, nil
}

type renderedFile struct {
	*bytes.Reader
	info renderedInfo
}

func (f *renderedFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *renderedFile) Close() error               { return nil }

type renderedInfo struct {
	fs.FileInfo
	size int64
}

func (i renderedInfo) Size() int64 { return i.size }

// Versions reports the version the database's schemas for cfg are at (0
// when never migrated) and the latest version built in.
func Versions(ctx context.Context, pool *pgxpool.Pool, cfg Config) (applied, latest int64, err error) {
	cfg, err = cfg.WithDefaults()
	if err != nil {
		return 0, 0, err
	}
	entries, err := fs.ReadDir(embedded, "sql")
	if err != nil {
		return 0, 0, fmt.Errorf("migrations: %w", err)
	}
	for _, e := range entries {
		digits, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("migrations: %s has no version number", e.Name())
		}
		latest = max(latest, v)
	}
	table := pgx.Identifier{cfg.StateSchema, "goose_db_version"}.Sanitize()
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil {
		return 0, latest, fmt.Errorf("migrations: version: %w", err)
	}
	if exists {
		if err := pool.QueryRow(ctx, "SELECT coalesce(max(version_id), 0) FROM "+table+" WHERE is_applied").Scan(&applied); err != nil {
			return 0, latest, fmt.Errorf("migrations: version: %w", err)
		}
	}
	return applied, latest, nil
}
