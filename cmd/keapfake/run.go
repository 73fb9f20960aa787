package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/keapsync/keapsync/keap/keapsim"
)

var faultKinds = []keapsim.FaultKind{keapsim.Fault500, keapsim.Fault502, keapsim.Fault503, keapsim.FaultHTML,
	keapsim.FaultSlow, keapsim.FaultReset, keapsim.FaultTruncated, keapsim.FaultContentType, keapsim.FaultHuge, keapsim.FaultManyTiny}

// config is everything keapfake is told on its command line.
type config struct {
	opts           keapsim.Options
	mutationsPerS  float64
	shutdownGrace  time.Duration
	faultDelay     time.Duration
	faultRates     map[keapsim.FaultKind]*float64
	faultRequests  map[keapsim.FaultKind]*int64
	apiKeys        string
	mutationSeed   uint64
	logLevel       string
	printEndpoints bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("keapfake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &c.opts
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:0", "listen address (port 0 picks a free port)")
	fs.Int64Var(&o.Seed, "seed", 1, "seed of the synthetic tenant")
	fs.IntVar(&o.Contacts, "contacts", 10_000, "number of contacts; other streams scale with it")
	fs.StringVar(&c.apiKeys, "api-key", "keapsim-test-key", "accepted API key(s), comma-separated")
	fs.IntVar(&o.PerSecond, "per-second", 5, "spike arrest: requests per second (-1 disables)")
	fs.IntVar(&o.PerMinute, "per-minute", 120, "rolling per-minute throttle (-1 disables)")
	fs.IntVar(&o.PerDay, "per-day", 15_000, "daily quota (-1 disables)")
	fs.IntVar(&o.TenantPerMinute, "tenant-per-minute", 10_000, "per-tenant rolling per-minute throttle (-1 disables)")
	fs.DurationVar(&o.DayLength, "day-length", 0, "length of a quota day (0: UTC calendar days)")
	fs.DurationVar(&o.Second, "second", time.Second, "length of the spike-arrest second")
	fs.DurationVar(&o.Minute, "minute", time.Minute, "length of the rolling throttle window")
	fs.StringVar(&o.RateLimitBody, "rate-limit-body", keapsim.RateLimitBodyApigee, "429 body shape: apigee or v2")
	fs.BoolVar(&o.RetryAfter, "retry-after", false, "send Retry-After on 429s")
	fs.StringVar(&o.TenantID, "tenant-id", "ab123.infusionsoft.com", "x-keap-tenant-id header value")
	fs.Float64Var(&c.mutationsPerS, "mutations-per-second", 0, "steady rate of random creates, updates and deletes")
	fs.Uint64Var(&c.mutationSeed, "mutation-seed", 1, "seed of the random mutations")
	fs.DurationVar(&c.faultDelay, "fault-delay", 2*time.Second, "added latency of slow responses")
	fs.DurationVar(&c.shutdownGrace, "shutdown-grace", 5*time.Second, "how long requests in flight may finish on SIGINT/SIGTERM")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&c.printEndpoints, "print-endpoints", false, "list the endpoints served on stderr at start")
	c.faultRates = map[keapsim.FaultKind]*float64{}
	c.faultRequests = map[keapsim.FaultKind]*int64{}
	for _, k := range faultKinds {
		name := strings.ReplaceAll(string(k), "_", "-")
		c.faultRates[k] = fs.Float64("fault-"+name, 0, "probability (0..1) of the "+string(k)+" fault per accepted request")
		c.faultRequests[k] = fs.Int64("fault-"+name+"-at", 0, "fail exactly this request number with the "+string(k)+" fault")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.APIKeys = strings.Split(c.apiKeys, ",")
	for _, k := range faultKinds { // in a fixed order, so a seed replays the same faults
		p, at := c.faultRates[k], *c.faultRequests[k]
		if *p == 0 && at == 0 {
			continue
		}
		o.Faults = append(o.Faults, keapsim.Fault{Kind: k, Probability: *p, Request: at, Delay: c.faultDelay})
	}
	if c.mutationsPerS < 0 {
		return c, errors.New("--mutations-per-second must not be negative")
	}
	return c, nil
}

// run serves the simulator until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	started := time.Now()
	s, err := keapsim.Start(c.opts)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(stdout, s.URL()); err != nil {
		return errors.Join(fmt.Errorf("write base URL: %w", err), s.Close())
	}
	log.Info("keapfake serving", "url", s.URL(), "contacts", c.opts.Contacts, "seed", c.opts.Seed,
		"per_second", c.opts.PerSecond, "per_minute", c.opts.PerMinute, "per_day", c.opts.PerDay,
		"faults", len(c.opts.Faults), "startup", time.Since(started).Round(time.Millisecond))
	if c.printEndpoints {
		for _, p := range s.Endpoints() {
			fmt.Fprintln(stderr, p)
		}
	}

	churnDone := make(chan struct{})
	go func() {
		defer close(churnDone)
		churn(ctx, s, c.mutationsPerS, c.mutationSeed, log)
	}()

	<-ctx.Done()
	<-churnDone
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownGrace)
	defer cancel()
	err = s.Shutdown(sctx)
	st := s.Stats()
	log.Info("keapfake stopped", "requests", st.Requests, "rejected", st.Rejected,
		"peak_second", st.PeakSecond, "peak_minute", st.PeakMinute, "mutations", st.Mutations)
	if err != nil {
		return errors.Join(fmt.Errorf("shutdown: %w", err), s.Close())
	}
	return nil
}

// churn makes random changes at a steady rate until ctx ends.
func churn(ctx context.Context, s *keapsim.Server, perSecond float64, seed uint64, log *slog.Logger) {
	if perSecond <= 0 {
		return
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	tick := time.NewTicker(time.Duration(float64(time.Second) / perSecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := s.Churn(rng, 1); err != nil {
				log.Error("mutation failed", "err", err)
			}
		}
	}
}
