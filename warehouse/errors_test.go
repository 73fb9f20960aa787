package warehouse_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

// TestIsRetryable_RealPostgresErrors produces each error against Postgres
// and checks whether IsRetryable calls it worth a retry.
func TestIsRetryable_RealPostgresErrors(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 8)
	ctx := context.Background()
	table := pgx.Identifier{b.Config.DataSchema, "counters"}.Sanitize()
	if _, err := b.Pool.Exec(ctx, fmt.Sprintf("CREATE TABLE %s (id int PRIMARY KEY, n int); INSERT INTO %[1]s VALUES (1, 0), (2, 0)", table)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		produce func(t *testing.T) error
		want    bool
		code    string // the SQLSTATE produced, if a server error
	}{
		{"unique violation", func(t *testing.T) error {
			_, err := b.Pool.Exec(ctx, fmt.Sprintf("INSERT INTO %s VALUES (1, 0)", table))
			return err
		}, false, "23505"},
		{"division by zero", func(t *testing.T) error {
			_, err := b.Pool.Exec(ctx, "SELECT 1 / (random() * 0)::int")
			return err
		}, false, "22012"},
		{"syntax error", func(t *testing.T) error {
			_, err := b.Pool.Exec(ctx, "SELEC 1")
			return err
		}, false, "42601"},
		{"undefined table", func(t *testing.T) error {
			_, err := b.Pool.Exec(ctx, "SELECT * FROM keapsync_no_such_table")
			return err
		}, false, "42P01"},
		{"serialization failure of two serializable transactions", func(t *testing.T) error {
			return serializationFailure(t, b, table)
		}, true, "40001"},
		{"deadlock", func(t *testing.T) error {
			return deadlock(t, b, table)
		}, true, "40P01"},
		{"lock not available", func(t *testing.T) error {
			tx, err := b.Pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, fmt.Sprintf("SELECT * FROM %s WHERE id = 2 FOR UPDATE", table)); err != nil {
				t.Fatal(err)
			}
			_, err = b.Pool.Exec(ctx, fmt.Sprintf("SELECT * FROM %s WHERE id = 2 FOR UPDATE NOWAIT", table))
			return err
		}, true, "55P03"},
		{"backend terminated by an administrator", func(t *testing.T) error {
			conn, err := pgx.Connect(ctx, warehousetest.DatabaseURL())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := b.Pool.Exec(ctx, "SELECT pg_terminate_backend($1, 5000)", conn.PgConn().PID()); err != nil {
				t.Fatal(err)
			}
			_, err = conn.Exec(ctx, "SELECT 1")
			return err
		}, true, ""},
		{"connection refused", func(t *testing.T) error {
			conn, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:1/test?sslmode=disable")
			if err == nil {
				conn.Close(ctx)
			}
			return err
		}, true, ""},
		{"connect timeout of a server that never answers", func(t *testing.T) error {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					defer c.Close()
				}
			}()
			conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@%s/test?sslmode=disable&connect_timeout=1", ln.Addr()))
			if err == nil {
				conn.Close(ctx)
			}
			return err
		}, true, ""},
		{"caller's context cancelled mid-query", func(t *testing.T) error {
			ctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(100*time.Millisecond, cancel)
			_, err := b.Pool.Exec(ctx, "SELECT pg_sleep(10)")
			return err
		}, false, ""},
		{"caller's deadline passed mid-query", func(t *testing.T) error {
			ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			_, err := b.Pool.Exec(ctx, "SELECT pg_sleep(10)")
			return err
		}, false, ""},
		{"upsert into an unknown table", func(t *testing.T) error {
			_, err := b.Warehouse.Upsert(ctx, b.Pool, "pets", warehouse.Page{Account: "acme"})
			return err
		}, false, ""},
		{"resuming a run that does not exist", func(t *testing.T) error {
			return b.Warehouse.ResumeRun(ctx, b.Pool, 424242)
		}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.produce(t)
			if err == nil {
				t.Fatal("no error produced")
			}
			if pgErr, ok := errors.AsType[*pgconn.PgError](err); tt.code != "" && (!ok || pgErr.Code != tt.code) {
				t.Fatalf("produced %v, want SQLSTATE %s", err, tt.code)
			}
			wrapped := fmt.Errorf("warehouse: some call: %w", err)
			if got := warehouse.IsRetryable(wrapped); got != tt.want {
				t.Errorf("IsRetryable(%v) = %v, want %v", err, got, tt.want)
			}
		})
	}
}

// serializationFailure makes two serializable transactions update the same
// row; the second to write fails.
func serializationFailure(t *testing.T, b warehousetest.Bundle, table string) error {
	ctx := context.Background()
	serializable := pgx.TxOptions{IsoLevel: pgx.Serializable}
	tx1, err := b.Pool.BeginTx(ctx, serializable)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback(ctx)
	var n int
	if err := tx1.QueryRow(ctx, fmt.Sprintf("SELECT n FROM %s WHERE id = 1", table)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	err = pgx.BeginTxFunc(ctx, b.Pool, serializable, func(tx2 pgx.Tx) error {
		_, err := tx2.Exec(ctx, fmt.Sprintf("UPDATE %s SET n = n + 1 WHERE id = 1", table))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx1.Exec(ctx, fmt.Sprintf("UPDATE %s SET n = $1 WHERE id = 1", table), n+1)
	return err
}

// deadlock makes two transactions lock rows 1 and 2 in opposite orders;
// Postgres breaks the cycle by failing one of them.
func deadlock(t *testing.T, b warehousetest.Bundle, table string) error {
	ctx := context.Background()
	lock := fmt.Sprintf("SELECT 1 FROM %s WHERE id = $1 FOR UPDATE", table)
	tx1, err := b.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback(ctx)
	tx2, err := b.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx2.Rollback(ctx)
	// Row 1 is also row-locked by another subtest's serializable update;
	// lock rows 3 and 4, which no other subtest touches.
	for _, id := range []int{3, 4} {
		if _, err := b.Pool.Exec(ctx, fmt.Sprintf("INSERT INTO %s VALUES ($1, 0)", table), id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx1.Exec(ctx, lock, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := tx2.Exec(ctx, lock, 4); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	go func() {
		_, err := tx1.Exec(ctx, lock, 4)
		if err != nil {
			tx1.Rollback(ctx) // frees row 3 for tx2
		}
		errs <- err
	}()
	go func() {
		_, err := tx2.Exec(ctx, lock, 3)
		if err != nil {
			tx2.Rollback(ctx)
		}
		errs <- err
	}()
	e1, e2 := <-errs, <-errs
	switch {
	case e1 != nil && e2 != nil:
		t.Fatalf("both transactions failed: %v; %v", e1, e2)
	case e1 != nil:
		return e1
	}
	return e2
}

func TestIsRetryable_SyntheticErrors(t *testing.T) {
	t.Parallel()
	pgErr := func(code string) error { return &pgconn.PgError{Severity: "ERROR", Code: code} }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain error", errors.New("boom"), false},
		{"crash shutdown", pgErr("57P02"), true},
		{"cannot connect now", pgErr("57P03"), true},
		{"idle session timeout", pgErr("57P05"), true},
		{"connection failure", pgErr("08006"), true},
		{"too many connections", pgErr("53300"), true},
		{"out of memory", pgErr("53200"), true},
		{"query cancelled by statement timeout", pgErr("57014"), false},
		{"foreign key violation", pgErr("23503"), false},
		{"invalid text representation", pgErr("22P02"), false},
		{"undefined column", pgErr("42703"), false},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"EOF", fmt.Errorf("read: %w", io.EOF), true},
		{"conn closed", fmt.Errorf("exec: %w", pgconn.ErrConnClosed), true},
		{"network timeout", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, true},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, true},
		{"caller's deadline", fmt.Errorf("exec: %w", context.DeadlineExceeded), false},
		{"caller cancelled", fmt.Errorf("exec: %w", context.Canceled), false},
		{"invalid page", fmt.Errorf("warehouse: %w", warehouse.ErrInvalidPage), false},
		{"unknown table", fmt.Errorf("warehouse: %w", warehouse.ErrUnknownTable), false},
		{"run not active", fmt.Errorf("warehouse: %w", warehouse.ErrRunNotActive), false},
		{"invalid run state", fmt.Errorf("warehouse: %w", warehouse.ErrInvalidRunState), false},
	}
	for _, tt := range tests {
		if got := warehouse.IsRetryable(tt.err); got != tt.want {
			t.Errorf("%s: IsRetryable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
