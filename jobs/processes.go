package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

// A started pipeline renews its process row every heartbeatEvery; a row
// not renewed for processStaleAfter belongs to a process that is gone.
const (
	heartbeatEvery    = 15 * time.Second
	processStaleAfter = time.Minute
)

// ErrConfigConflict is returned (wrapped) by Start when another live
// process works one of the accounts with a different configuration.
var ErrConfigConflict = errors.New("another process works this account with a different configuration")

// processConfigs is what this pipeline works of each account.
func (p *Pipeline) processConfigs() map[string]warehouse.AccountConfig {
	out := make(map[string]warehouse.AccountConfig, len(p.accounts))
	for name, a := range p.accounts {
		c := warehouse.AccountConfig{DataSchema: p.cfg.DataSchema, RiverSchema: p.cfg.RiverSchema,
			BaseURL: a.Keap.BaseURL, Schedule: a.Schedule, ReconcileSchedule: a.ReconcileSchedule}
		if c.BaseURL == "" {
			c.BaseURL = keap.DefaultBaseURL
		}
		for _, s := range a.streams {
			c.Streams = append(c.Streams, s.Name)
		}
		if f, ok := a.Keap.Credential.(keap.Fingerprinter); ok {
			c.KeyFingerprint = f.Fingerprint("keapsync process " + name)
		}
		out[name] = c
	}
	return out
}

// register records this process and its accounts' configurations, and
// fails with ErrConfigConflict, naming the difference, when a live process
// works one of them differently.
func (p *Pipeline) register(ctx context.Context) error {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	me := warehouse.Process{ID: fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b)), Host: host, PID: os.Getpid(),
		Accounts: p.processConfigs()}
	err := pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
		if err := p.wh.LockProcesses(ctx, tx); err != nil {
			return err
		}
		others, err := p.wh.LiveProcesses(ctx, tx, processStaleAfter)
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.Host == host && o.PID != os.Getpid() && !processAlive(o.PID) {
				if err := p.wh.UnregisterProcess(ctx, tx, o.ID); err != nil { // crashed on this machine
					return err
				}
				continue
			}
			for _, name := range p.order {
				theirs, ok := o.Accounts[name]
				if !ok {
					continue
				}
				if diff := configDiff(me.Accounts[name], theirs); diff != "" {
					return fmt.Errorf("%w: account %s: %s (the other process: host %s, pid %d, up since %s): "+
						"give every process the same configuration of an account, or stop the other first",
						ErrConfigConflict, name, diff, o.Host, o.PID, o.StartedAt.UTC().Format(time.RFC3339))
				}
			}
		}
		return p.wh.RegisterProcess(ctx, tx, me)
	})
	if err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	p.processID = me.ID
	return nil
}

// configDiff names the first differences between this process's
// configuration of an account (mine) and another's, "" when they agree.
func configDiff(mine, theirs warehouse.AccountConfig) string {
	var diffs []string
	add := func(what, here, there string) {
		if here != there {
			diffs = append(diffs, fmt.Sprintf("%s %s here, %s there", what, orNone(here), orNone(there)))
		}
	}
	if !slices.Equal(mine.Streams, theirs.Streams) {
		diffs = append(diffs, fmt.Sprintf("streams [%s] here, [%s] there", strings.Join(mine.Streams, ", "), strings.Join(theirs.Streams, ", ")))
	}
	add("data_schema", mine.DataSchema, theirs.DataSchema)
	add("river_schema", mine.RiverSchema, theirs.RiverSchema)
	add("base_url", mine.BaseURL, theirs.BaseURL)
	if mine.KeyFingerprint != theirs.KeyFingerprint {
		diffs = append(diffs, "a different API key")
	}
	add("schedule", mine.Schedule, theirs.Schedule)
	add("reconcile_deletes", mine.ReconcileSchedule, theirs.ReconcileSchedule)
	return strings.Join(diffs, "; ")
}

func orNone(s string) string {
	if s == "" {
		return `""`
	}
	return fmt.Sprintf("%q", s)
}

// processAlive reports whether a process of this machine still runs.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// heartbeat renews the process row until ctx ends. A row that was
// forgotten (the database was unreachable for too long) is written again.
func (p *Pipeline) heartbeat(ctx context.Context) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, err := p.wh.HeartbeatProcess(ctx, p.cfg.Pool, p.processID)
		if err == nil && !ok {
			host, _ := os.Hostname()
			err = p.wh.RegisterProcess(ctx, p.cfg.Pool, warehouse.Process{ID: p.processID, Host: host, PID: os.Getpid(), Accounts: p.processConfigs()})
		}
		if err != nil && ctx.Err() == nil {
			p.log.LogAttrs(ctx, slog.LevelWarn, "jobs: process heartbeat", slog.String("err", err.Error()))
		}
	}
}

// unregister forgets this process (it stops).
func (p *Pipeline) unregister(ctx context.Context) {
	if p.processID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := p.wh.UnregisterProcess(ctx, p.cfg.Pool, p.processID); err != nil {
		p.log.LogAttrs(ctx, slog.LevelWarn, "jobs: unregister process", slog.String("err", err.Error()))
	}
}
