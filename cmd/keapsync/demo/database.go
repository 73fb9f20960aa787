package demo

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// authRequiredError says the server asked for a password it did not get.
type authRequiredError struct{ err error }

func (e *authRequiredError) Error() string { return e.err.Error() }
func (e *authRequiredError) Unwrap() error { return e.err }

// ensureDemoDatabase connects to serverURL's server, creates the demo's
// database if missing and returns the URL that names it.
func ensureDemoDatabase(ctx context.Context, serverURL, database string) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	pc, err := pgx.ParseConfig(serverURL)
	if err != nil {
		return "", errors.New("DATABASE_URL is not a PostgreSQL connection string")
	}
	conn, err := pgx.ConnectConfig(cctx, pc)
	if asksForCredentials(err) {
		return "", &authRequiredError{err}
	}
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(cctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", database).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(cctx, "CREATE DATABASE "+pgx.Identifier{database}.Sanitize()); err != nil {
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != pgerrcode.DuplicateDatabase { // a concurrent demo made it
				return "", fmt.Errorf("create database %s: %w", database, err)
			}
		}
	}
	return withDatabase(serverURL, database)
}

// asksForCredentials reports whether connecting failed because the server
// wants a password (or another user) it was not given.
func asksForCredentials(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == pgerrcode.InvalidPassword || pgErr.Code == pgerrcode.InvalidAuthorizationSpecification)
}

// withDatabase returns the connection string with its database replaced
// by db. Every other way a connection string can name a database (pgx lets
// a ?dbname= or ?database= parameter win over the URL's path) is removed,
// and the result is parsed back: a string that would still reach another
// database is refused, since the demo drops schemas in the one it reaches.
func withDatabase(connString, db string) (string, error) {
	var out string
	if u, err := url.Parse(connString); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path, u.RawPath = "/"+db, ""
		q := u.Query()
		q.Del("dbname")
		q.Del("database")
		u.RawQuery = q.Encode()
		out = u.String()
	} else if strings.Contains(connString, "=") { // key=value pairs: the last one wins
		out = connString + " dbname=" + db
	} else {
		return "", errors.New("DATABASE_URL is not a PostgreSQL connection string")
	}
	pc, err := pgx.ParseConfig(out)
	if err != nil {
		return "", errors.New("DATABASE_URL is not a PostgreSQL connection string")
	}
	if pc.Database != db {
		return "", fmt.Errorf("DATABASE_URL names the database %q in a way the demo cannot replace: give it without a database", pc.Database)
	}
	return out, nil
}

// requireDatabase fails unless the pool is connected to the database db:
// the last check before the demo drops its schemas.
func requireDatabase(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, db string) error {
	var current string
	if err := q.QueryRow(ctx, "SELECT current_database()").Scan(&current); err != nil {
		return fmt.Errorf("demo: which database: %w", err)
	}
	if current != db {
		return fmt.Errorf("demo: connected to the database %q, not %q: refusing to drop anything", current, db)
	}
	return nil
}

// demoDatabaseError turns a failure to reach PostgreSQL into one line
// naming the fix.
func demoDatabaseError(err error, serverURL string, fromEnv bool, database string) error {
	where := "127.0.0.1:5432"
	if pc, perr := pgx.ParseConfig(serverURL); perr == nil {
		where = fmt.Sprintf("%s:%d", pc.Host, pc.Port)
	}
	var (
		pgErr  *pgconn.PgError
		auth   *authRequiredError
		netErr = strings.Contains(err.Error(), "connect: connection refused") || strings.Contains(err.Error(), "no such host") ||
			strings.Contains(err.Error(), "timeout") || strings.Contains(err.Error(), "no such file or directory")
	)
	switch {
	case netErr && fromEnv:
		return fmt.Errorf("demo: no PostgreSQL answers at %s (from $DATABASE_URL): start it, or unset DATABASE_URL to use the local one", where)
	case netErr:
		return fmt.Errorf("demo: no PostgreSQL answers at %s: run bash .ci/postgres (it installs and starts one), or set DATABASE_URL", where)
	case errors.As(err, &auth):
		return fmt.Errorf("demo: PostgreSQL at %s refused the credentials of $DATABASE_URL: %v", where, scrubConnError(err))
	case errors.As(err, &pgErr) && pgErr.Code == pgerrcode.InsufficientPrivilege:
		return fmt.Errorf("demo: the user of $DATABASE_URL may not create the database %s: create it (CREATE DATABASE %s), or use a user who may", database, database)
	}
	return fmt.Errorf("demo: PostgreSQL at %s: %v", where, scrubConnError(err))
}

// scrubConnError keeps what PostgreSQL said, without a connection string.
func scrubConnError(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message
	}
	return err.Error()
}
