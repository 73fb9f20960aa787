package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// readyAskTimeout bounds keapsync ready's request.
const readyAskTimeout = 5 * time.Second

// readyCommand asks a running work process whether it is ready: the
// container healthcheck of an image without curl or a shell.
func (a *app) readyCommand() *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "ready [--url http://host:port/readyz]",
		Short: "Exit 0 when a running work process answers ready (a healthcheck)",
		Long: `Ready asks the /readyz endpoint of a running keapsync work process (the one
http.listen names, or --url) and exits 0 when it answers 200, 1 otherwise with
the reason: a healthcheck for containers and supervisors, which needs neither
curl nor a shell. /readyz needs no token.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if target == "" {
				cfg, err := a.loadConfig()
				if err != nil {
					return err
				}
				if cfg.HTTP.Listen == "" {
					return usagef("http.listen is off: nothing to ask (give --url)")
				}
				target = readyURL(cfg.HTTP.Listen)
			}
			u, err := url.Parse(target)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return usagef("--url %q: want http://host:port/readyz", target)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), readyAskTimeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
			if err != nil {
				return usagef("--url %q: %v", target, err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				var ue *url.Error
				if errors.As(err, &ue) {
					err = ue.Err
				}
				return fmt.Errorf("not ready: %s: %w", target, err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			reason := strings.TrimSpace(string(body))
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("not ready: %s answered %s: %s", target, resp.Status, reason)
			}
			_, err = fmt.Fprintln(a.stdout, reason)
			return err
		},
	}
	cmd.Flags().StringVar(&target, "url", "", "the /readyz URL to ask (default: http.listen's)")
	return cmd
}

// readyURL is the /readyz URL of a server listening on listen: an
// unspecified address (0.0.0.0, ::, empty) is asked on loopback.
func readyURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen + "/readyz"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz"
}
