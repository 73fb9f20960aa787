package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// controlSQL holds the statements of the processes' registry and of the
// operator's pauses, rendered once.
type controlSQL struct {
	forgetStale, processes, register, heartbeat, unregister string
	pause, resume, paused, pausedOf                         string
	workers                                                 string
}

func renderControl(state, data string) controlSQL {
	r := func(sql string) string { return render(sql, data, state) }
	return controlSQL{
		forgetStale: r(`DELETE FROM /* TEMPLATE: state */processes WHERE heartbeat_at < now() - $1::interval`),
		processes:   r(`SELECT id, host, pid, accounts, started_at, heartbeat_at FROM /* TEMPLATE: state */processes ORDER BY started_at`),
		register: r(`INSERT INTO /* TEMPLATE: state */processes (id, host, pid, accounts) VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET accounts = $4, heartbeat_at = now()`),
		heartbeat:  r(`UPDATE /* TEMPLATE: state */processes SET heartbeat_at = now() WHERE id = $1`),
		unregister: r(`DELETE FROM /* TEMPLATE: state */processes WHERE id = $1`),
		pause:      r(`INSERT INTO /* TEMPLATE: state */paused (account, stream) VALUES ($1, $2) ON CONFLICT DO NOTHING`),
		resume:     r(`DELETE FROM /* TEMPLATE: state */paused WHERE account = $1 AND ($2 = '' OR stream = $2)`),
		paused:     r(`SELECT EXISTS (SELECT 1 FROM /* TEMPLATE: state */paused WHERE account = $1 AND stream IN ('', $2))`),
		pausedOf:   r(`SELECT stream FROM /* TEMPLATE: state */paused WHERE account = $1`),
		workers: r(`SELECT count(*) FROM /* TEMPLATE: state */processes
WHERE accounts ? $1 AND heartbeat_at >= now() - $2::interval`),
	}
}

// AccountConfig is what a process works of one account: what another
// process working the same account must agree with.
type AccountConfig struct {
	Streams           []string `json:"streams"`
	DataSchema        string   `json:"data_schema"`
	RiverSchema       string   `json:"river_schema"`
	BaseURL           string   `json:"base_url"`
	KeyFingerprint    string   `json:"key_fingerprint"`
	Schedule          string   `json:"schedule"`
	ReconcileSchedule string   `json:"reconcile_schedule"`
}

// Process is a process working jobs on the database.
type Process struct {
	ID          string
	Host        string
	PID         int
	Accounts    map[string]AccountConfig
	StartedAt   time.Time
	HeartbeatAt time.Time
}

// LiveProcesses forgets the processes whose last heartbeat is older than
// staleAfter and returns the others. Call it with RegisterProcess in one
// transaction that holds LockProcesses.
func (w *Warehouse) LiveProcesses(ctx context.Context, ex Executor, staleAfter time.Duration) ([]Process, error) {
	if _, err := ex.Exec(ctx, w.control.forgetStale, staleAfter); err != nil {
		return nil, fmt.Errorf("warehouse: processes: %w", err)
	}
	rows, err := ex.Query(ctx, w.control.processes)
	if err != nil {
		return nil, fmt.Errorf("warehouse: processes: %w", err)
	}
	defer rows.Close()
	var out []Process
	for rows.Next() {
		var p Process
		var accounts []byte
		if err := rows.Scan(&p.ID, &p.Host, &p.PID, &accounts, &p.StartedAt, &p.HeartbeatAt); err != nil {
			return nil, fmt.Errorf("warehouse: processes: %w", err)
		}
		if err := json.Unmarshal(accounts, &p.Accounts); err != nil {
			return nil, fmt.Errorf("warehouse: process %s: %w", p.ID, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: processes: %w", err)
	}
	return out, nil
}

// LockProcesses serializes process registrations until ex's transaction
// ends, so two processes starting at once cannot both miss each other.
func (w *Warehouse) LockProcesses(ctx context.Context, ex Executor) error {
	if _, err := ex.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, w.stateSchema+".processes"); err != nil {
		return fmt.Errorf("warehouse: lock processes: %w", err)
	}
	return nil
}

// RegisterProcess records p (or renews it).
func (w *Warehouse) RegisterProcess(ctx context.Context, ex Executor, p Process) error {
	accounts, err := json.Marshal(p.Accounts)
	if err != nil {
		return fmt.Errorf("warehouse: register process: %w", err)
	}
	_, err = ex.Exec(ctx, w.control.register, p.ID, p.Host, p.PID, accounts)
	if err != nil {
		return fmt.Errorf("warehouse: register process: %w", err)
	}
	return nil
}

// HeartbeatProcess renews process id's heartbeat; false when it was
// forgotten meanwhile (its heartbeat had stopped for too long).
func (w *Warehouse) HeartbeatProcess(ctx context.Context, ex Executor, id string) (bool, error) {
	tag, err := ex.Exec(ctx, w.control.heartbeat, id)
	if err != nil {
		return false, fmt.Errorf("warehouse: process heartbeat: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// UnregisterProcess forgets process id (it is stopping).
func (w *Warehouse) UnregisterProcess(ctx context.Context, ex Executor, id string) error {
	if _, err := ex.Exec(ctx, w.control.unregister, id); err != nil {
		return fmt.Errorf("warehouse: unregister process: %w", err)
	}
	return nil
}

// Workers counts the live processes working account: those whose last
// heartbeat is younger than staleAfter. It only reads.
func (w *Warehouse) Workers(ctx context.Context, ex Executor, account string, staleAfter time.Duration) (int, error) {
	var n int
	if err := ex.QueryRow(ctx, w.control.workers, account, staleAfter).Scan(&n); err != nil {
		return 0, fmt.Errorf("warehouse: processes working %s: %w", account, err)
	}
	return n, nil
}
