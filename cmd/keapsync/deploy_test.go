package main

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// The deploy files' shape; .ci/deploy-checks proves them with the real tools
// (buildah builds the image and runs its binary, systemd-analyze verifies the
// unit, docker-compose parses the compose file).

func TestDeploy_TheImageIsStaticNonRootWithCACertificates(t *testing.T) {
	t.Parallel()
	df := readRepoFile(t, "deploy/Dockerfile")
	for _, want := range []string{"FROM scratch", "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
		"USER 65532:65532", `ENTRYPOINT ["/keapsync"]`, `CMD ["/keapsync", "ready"]`} {
		if !strings.Contains(df, want) {
			t.Errorf("deploy/Dockerfile lacks %q", want)
		}
	}
	var stages []string
	for _, line := range strings.Split(df, "\n") {
		if strings.HasPrefix(line, "FROM ") {
			stages = append(stages, line)
		}
	}
	if len(stages) != 1 || stages[0] != "FROM scratch" {
		t.Errorf("deploy/Dockerfile's stages %q: want FROM scratch alone", stages)
	}
	if script := readRepoFile(t, "deploy/build-image"); !strings.Contains(script, "CGO_ENABLED=0 go build") {
		t.Errorf("deploy/build-image does not build a static binary")
	}
}

func TestDeploy_ComposeMigratesOnceThenWorksWithHealthchecksAndNoSecretInIt(t *testing.T) {
	t.Parallel()
	src := readRepoFile(t, "deploy/docker-compose.yaml")
	type service struct {
		Image       string                       `yaml:"image"`
		Command     []string                     `yaml:"command"`
		Environment map[string]string            `yaml:"environment"`
		Secrets     []string                     `yaml:"secrets"`
		DependsOn   map[string]map[string]string `yaml:"depends_on"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		Restart string `yaml:"restart"`
	}
	var compose struct {
		Services map[string]service `yaml:"services"`
		Secrets  map[string]struct {
			File string `yaml:"file"`
		} `yaml:"secrets"`
	}
	if err := yaml.Unmarshal([]byte(src), &compose); err != nil {
		t.Fatalf("deploy/docker-compose.yaml: %v", err)
	}
	pg, migrate, work := compose.Services["postgres"], compose.Services["migrate"], compose.Services["work"]
	if len(pg.Healthcheck.Test) == 0 {
		t.Errorf("postgres has no healthcheck")
	}
	if strings.Join(migrate.Command, " ") != "migrate" || migrate.Restart != "no" ||
		migrate.DependsOn["postgres"]["condition"] != "service_healthy" {
		t.Errorf("migrate: %+v: want a one-shot migrate once postgres is healthy", migrate)
	}
	if strings.Join(work.Command, " ") != "work" || work.DependsOn["migrate"]["condition"] != "service_completed_successfully" {
		t.Errorf("work: %+v: want work once migrate has completed", work)
	}
	if strings.Join(work.Healthcheck.Test, " ") != "CMD /keapsync ready" {
		t.Errorf("work's healthcheck %v: want keapsync ready (/readyz)", work.Healthcheck.Test)
	}
	for name, s := range map[string]service{"migrate": migrate, "work": work} {
		if !strings.HasPrefix(s.Image, "keapsync:") || len(s.Secrets) == 0 {
			t.Errorf("%s: image %q, secrets %v", name, s.Image, s.Secrets)
		}
		for k, v := range s.Environment {
			if strings.Contains(v, "${") || !strings.Contains(strings.ToUpper(k), "KEY") {
				continue
			}
			t.Errorf("%s: %s=%q is written in the compose file", name, k, v)
		}
	}
	for name, s := range compose.Secrets {
		if !strings.HasPrefix(s.File, "./secrets/") {
			t.Errorf("secret %s from %q: want a file under deploy/secrets", name, s.File)
		}
	}

	// The configuration the containers read is valid with what compose
	// gives them.
	env := map[string]string{"DATABASE_URL": "postgres://keapsync:pw@postgres:5432/keapsync?sslmode=disable",
		"KEAPSYNC_HTTP_TOKEN": testToken}
	cfgSrc := strings.ReplaceAll(readRepoFile(t, "deploy/keapsync.compose.yaml"), "/run/secrets/keap_api_key",
		writeFile(t, t.TempDir(), "key", testAPIKey))
	cfg, err := parseConfig("keapsync.compose.yaml", []byte(cfgSrc), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("deploy/keapsync.compose.yaml: %v", err)
	}
	if cfg.HTTP.Listen != "0.0.0.0:9090" || readyURL(cfg.HTTP.Listen) != "http://127.0.0.1:9090/readyz" {
		t.Errorf("the container listens on %q: the healthcheck asks %s", cfg.HTTP.Listen, readyURL(cfg.HTTP.Listen))
	}
}

func TestDeploy_TheSystemdUnitIsHardened(t *testing.T) {
	t.Parallel()
	unit := readRepoFile(t, "deploy/keapsync.service")
	for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "EnvironmentFile=/etc/keapsync/env",
		"Restart=on-failure", "ExecStart=/usr/local/bin/keapsync -c /etc/keapsync/keapsync.yaml work", "CapabilityBoundingSet=\n",
		"ProtectHome=yes", "PrivateTmp=yes", "MemoryDenyWriteExecute=yes"} {
		if !strings.Contains(unit, want) {
			t.Errorf("deploy/keapsync.service lacks %q", want)
		}
	}
}
