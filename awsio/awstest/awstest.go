// Package awstest gives tests a real SQS and S3 endpoint: fauxqs
// (https://github.com/kibertoad/fauxqs, version 1.9.2, pinned in
// testdata/fauxqs), started once per test binary on a free port of
// 127.0.0.1, or the endpoint $RPTCTL_TEST_AWS_ENDPOINT names.
//
// Install fauxqs with `npm ci --prefix testdata/fauxqs` (or point
// $RPTCTL_FAUXQS_DIR at another install). Without it the
// tests that need it skip, loudly, except with CI=true: there a skip is a
// failure.
package awstest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
)

// EnvEndpoint names an endpoint to use instead of starting fauxqs.
const EnvEndpoint = "RPTCTL_TEST_AWS_ENDPOINT"

// Region is the region tests use; fauxqs accepts any.
const Region = "us-east-1"

// startTimeout bounds how long fauxqs may take to listen.
const startTimeout = 30 * time.Second

var (
	startOnce sync.Once
	started   string // the endpoint URL, once running
	startErr  error
	missing   bool // fauxqs or node is not installed: skip, unless CI
)

// Endpoint returns the URL of a running SQS and S3 endpoint, starting
// fauxqs on first use. The fauxqs process lives as long as the test
// binary: it exits when its stdin, held by this process, closes.
func Endpoint(t testing.TB) string {
	t.Helper()
	if e := os.Getenv(EnvEndpoint); e != "" {
		return e
	}
	startOnce.Do(func() { started, startErr = start() })
	switch {
	case startErr == nil:
		return started
	case missing && os.Getenv("CI") != "true":
		t.Skipf("SKIPPED, no SQS/S3 endpoint: %v; run `npm ci --prefix testdata/fauxqs` "+
			"or set %s (with CI=true this is a failure)", startErr, EnvEndpoint)
	default:
		t.Fatalf("starting fauxqs: %v", startErr)
	}
	return ""
}

// Env is the environment a process needs to talk to endpoint with
// --backend aws: endpoint, region, dummy credentials, path-style S3.
func Env(endpoint string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ENDPOINT_URL_SQS=" + endpoint,
		"AWS_ENDPOINT_URL_S3=" + endpoint,
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true",
		"RPTCTL_BACKEND=aws",
		"RPTCTL_S3_PATH_STYLE=true",
	}
}

var envOnce sync.Once

// Config returns a Config for the aws backend on endpoint with fresh,
// unique queue, DLQ and bucket names (not yet created: see
// awsio.Setup). It sets the environment of Env in this process, with
// os.Setenv rather than t.Setenv so that parallel tests can use it; all
// tests of a binary share one endpoint.
func Config(t testing.TB, endpoint string) awsio.Config {
	t.Helper()
	envOnce.Do(func() {
		for _, kv := range Env(endpoint) {
			k, v, _ := strings.Cut(kv, "=")
			if strings.HasPrefix(k, "RPTCTL_") {
				continue // a process-wide default backend would surprise other tests
			}
			if err := os.Setenv(k, v); err != nil {
				t.Fatalf("setting %s: %v", k, err)
			}
		}
	})
	id := strings.ToLower(rand.Text()[:12])
	return awsio.Config{
		Backend:     "aws",
		Queue:       "rptctl-" + id,
		DLQ:         "rptctl-" + id + "-dlq",
		Bucket:      "rptctl-" + id,
		S3PathStyle: true,
	}
}

// start runs fauxqs with node and returns its endpoint.
func start() (string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		missing = true
		return "", errors.New("node is not installed")
	}
	app, err := fauxqsApp()
	if err != nil {
		missing = true
		return "", err
	}
	// buildApp rather than startFauxqs, which listens on every interface:
	// tests listen on loopback only. Port 0 picks a free port; the script
	// prints it and exits when stdin closes, that is when the test binary
	// ends.
	script := fmt.Sprintf(`import { buildApp } from %q;
const app = buildApp({ logger: false, defaultRegion: %q });
const addr = await app.listen({ port: 0, host: "127.0.0.1" });
console.log("listening " + new URL(addr).port);
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
`, "file://"+filepath.ToSlash(app), Region)
	cmd := exec.Command(node, "--input-type=module", "-e", script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	keepOpen = stdin // never closed: the process holds it until exit
	port, err := readPort(stdout)
	if err != nil {
		_ = cmd.Process.Kill() // it did not come up; the read error says why
		_ = cmd.Wait()
		return "", fmt.Errorf("%w; stderr: %s", err, strings.TrimSpace(stderr.String()))
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }() // never block its console
	return "http://127.0.0.1:" + strconv.Itoa(port), nil
}

// keepOpen holds fauxqs's stdin for the life of the test binary.
var keepOpen io.WriteCloser

func readPort(r io.Reader) (int, error) {
	type result struct {
		port int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				n, err := strconv.Atoi(p)
				done <- result{n, err}
				return
			}
		}
		done <- result{0, errors.New("fauxqs exited before listening")}
	}()
	select {
	case r := <-done:
		return r.port, r.err
	case <-time.After(startTimeout):
		return 0, fmt.Errorf("fauxqs did not listen within %v", startTimeout)
	}
}

// EnvDir names the folder fauxqs is installed in (its node_modules),
// instead of the module's testdata/fauxqs.
const EnvDir = "RPTCTL_FAUXQS_DIR"

// fauxqsApp finds node_modules/fauxqs/dist/app.js in $RPTCTL_FAUXQS_DIR
// or in testdata/fauxqs of the module above the working directory (tests
// run in their package's folder).
func fauxqsApp() (string, error) {
	if dir := os.Getenv(EnvDir); dir != "" {
		return installedApp(dir)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return installedApp(filepath.Join(dir, "testdata", "fauxqs"))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func installedApp(dir string) (string, error) {
	app := filepath.Join(dir, "node_modules", "fauxqs", "dist", "app.js")
	if _, err := os.Stat(app); err != nil {
		return "", fmt.Errorf("fauxqs is not installed in %s", dir)
	}
	return filepath.Abs(app)
}
