package warehouse

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5/pgconn"
)

// IsRetryable reports whether err, returned by a warehouse call, is worth
// retrying: whether the same call, made again (in a new transaction), may
// succeed.
//
// It is true for transient conflicts and server or connection trouble:
// serialization failures (SQLSTATE 40001), deadlocks (40P01), lock not
// available (55P03), sessions ended by an administrator, a crash or a
// server starting or shutting down (57P01, 57P02, 57P03, 57P05), connection
// exceptions (class 08), insufficient resources (class 53, among them too
// many connections), and failures below the SQL level: a connection that
// could not be made or was lost (network errors and timeouts, io.EOF,
// io.ErrUnexpectedEOF, pgconn.ErrConnClosed) and errors pgconn marks safe to
// retry. A failed connection attempt counts even when it timed out, since
// pgx reports its connect_timeout as a context deadline.
//
// It is false for everything else, in particular for errors a retry would
// repeat: integrity violations (class 23), bad data (class 22), syntax
// errors and undefined objects (class 42), ErrInvalidPage, ErrUnknownTable,
// ErrRunNotActive and ErrInvalidRunState; and when the caller's context was
// cancelled or its deadline passed.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	for _, permanent := range []error{ErrInvalidPage, ErrUnknownTable, ErrRunNotActive, ErrInvalidRunState, context.Canceled} {
		if errors.Is(err, permanent) {
			return false
		}
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		return retryableSQLState(pgErr.Code)
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if pgconn.SafeToRetry(err) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	_, isNet := errors.AsType[net.Error](err)
	return isNet
}

// retryableSQLState reports whether a server error of SQLSTATE code may not
// recur.
func retryableSQLState(code string) bool {
	switch code {
	case pgerrcode.SerializationFailure, pgerrcode.DeadlockDetected, pgerrcode.LockNotAvailable,
		pgerrcode.AdminShutdown, pgerrcode.CrashShutdown, pgerrcode.CannotConnectNow, pgerrcode.IdleSessionTimeout:
		return true
	}
	return pgerrcode.IsConnectionException(code) || pgerrcode.IsInsufficientResources(code)
}
