package main

// End-to-end tests: the real rptctl binary, built once per test binary,
// run as processes against a temporary local backend (and, when fauxqs is
// installed, against SQS and S3 with --backend aws).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/awsio/awstest"
)

var (
	raceBuild bool // set under -race: see e2e_race_test.go
	binDir    string
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rptctl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "making a temp dir:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir) // a temp dir left behind is harmless
	os.Exit(code)
}

// rptctlBin builds the binary on first use, so that tests that do not
// need it do not pay for the build.
func rptctlBin(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test skipped with -short")
	}
	buildOnce.Do(func() {
		binPath = filepath.Join(binDir, "rptctl")
		args := []string{"build", "-o", binPath}
		if raceBuild {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// system is one backend the processes of a test share.
type system struct {
	cfg  awsio.Config // to look inside from the test
	args []string     // global flags naming it
	env  []string
}

func localSystem(t testing.TB) *system {
	dir := t.TempDir()
	return &system{
		cfg: awsio.Config{Backend: "local", DataDir: dir, Queue: "rptctl-reports",
			DLQ: "rptctl-reports-dlq", Bucket: "rptctl"},
		args: []string{"--data-dir", dir},
	}
}

// awsSystem is a fresh queue, DLQ and bucket on fauxqs (or the endpoint
// $RPTCTL_TEST_AWS_ENDPOINT names).
func awsSystem(t testing.TB) *system {
	ep := awstest.Endpoint(t)
	cfg := awstest.Config(t, ep)
	ctx := context.Background()
	if _, err := awsio.Setup(ctx, cfg, awsio.SetupOptions{MaxReceive: 5}); err != nil {
		t.Fatalf("setting up SQS and S3: %v", err)
	}
	return &system{
		cfg: cfg,
		args: []string{"--backend", "aws", "--queue", cfg.Queue, "--dlq", cfg.DLQ,
			"--bucket", cfg.Bucket, "--s3-path-style"},
		env: awstest.Env(ep),
	}
}

// backend opens the system's backend in the test process.
func (s *system) backend(t testing.TB) *awsio.Backend {
	t.Helper()
	b, err := awsio.Open(context.Background(), s.cfg)
	if err != nil {
		t.Fatalf("opening the backend: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() }) // nothing to do about a failed close here
	return b
}

func (s *system) command(t testing.TB, args ...string) *exec.Cmd {
	cmd := exec.Command(rptctlBin(t), append(append([]string{}, s.args...), args...)...)
	cmd.Env = append(os.Environ(), s.env...)
	return cmd
}

// run runs one rptctl command to its end and returns its stdout, stderr
// and exit status.
func (s *system) run(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	cmd := s.command(t, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running rptctl %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// proc is a long-running rptctl process (serve or parse) whose JSON log
// is kept.
type proc struct {
	t    testing.TB
	cmd  *exec.Cmd
	url  string // serve: the API's base URL
	done chan struct{}
	err  error

	mu    sync.Mutex
	lines []string
}

// startServe starts `rptctl serve` on a free port of 127.0.0.1, DNS off,
// and waits until it listens.
func startServe(t testing.TB, s *system, extra ...string) *proc {
	t.Helper()
	args := append([]string{"--log-format", "json", "serve", "--listen", "127.0.0.1:0",
		"--no-dns"}, extra...)
	p := startProc(t, s, args...)
	p.url = "http://" + p.waitListening()
	return p
}

func startProc(t testing.TB, s *system, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, cmd: s.command(t, args...), done: make(chan struct{})}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting rptctl: %v", err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 0, 1<<20), 4<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill() // the test is over; its process must not outlive it
			<-p.done
		}
	})
	return p
}

// waitListening returns the address the process logged it listens on.
func (p *proc) waitListening() string {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range p.log() {
			var m struct{ Msg, Addr string }
			if json.Unmarshal([]byte(l), &m) == nil && m.Msg == "listening" {
				return m.Addr
			}
		}
		select {
		case <-p.done:
			p.t.Fatalf("rptctl exited before listening: %v\n%s", p.err,
				strings.Join(p.log(), "\n"))
		case <-time.After(20 * time.Millisecond):
		}
	}
	p.t.Fatal("rptctl did not listen within a minute")
	return ""
}

func (p *proc) log() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// stop sends SIGTERM and expects a clean exit.
func (p *proc) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("signalling rptctl: %v", err)
	}
	p.wait()
	if p.err != nil {
		p.t.Fatalf("rptctl exited with %v after SIGTERM\n%s", p.err, p.tail())
	}
}

// kill sends SIGKILL and waits for the process to die.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill() // it may already be gone
	<-p.done
}

// wait waits for the process to end, at most two minutes.
func (p *proc) wait() {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		p.kill()
		p.t.Fatalf("rptctl did not exit\n%s", p.tail())
	}
}

func (p *proc) tail() string {
	l := p.log()
	return strings.Join(l[max(0, len(l)-20):], "\n")
}

// batchLines returns the `report batch` lines of the log, decoded.
func (p *proc) batchLines(t testing.TB) []batchLine {
	t.Helper()
	var out []batchLine
	for _, l := range p.log() {
		if !strings.Contains(l, `"msg":"report batch"`) {
			continue
		}
		var b batchLine
		if err := json.Unmarshal([]byte(l), &b); err != nil {
			t.Fatalf("log line %s: %v", l, err)
		}
		out = append(out, b)
	}
	return out
}

// batchLine is a `report batch` log line (CONTRACT.md section 6).
type batchLine struct {
	TraceID    string `json:"traceId"`
	CompanyID  string `json:"companyId"`
	CustomerID string `json:"customerId"`
	ReportKey  string `json:"reportKey"`
	Kind       string `json:"kind"`
	Batch      int    `json:"batch"`
	Batches    int    `json:"batches"`
	Records    int    `json:"records"`
	Messages   int64  `json:"messages"`
	DMARCPass  int64  `json:"dmarcPass"`
	DMARCFail  int64  `json:"dmarcFail"`
	Rows       []struct {
		SourceIP string `json:"sourceIp"`
		Count    int64  `json:"count"`
	} `json:"rows"`
}

// httpGet returns the body of a 200 answer.
func httpGet(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(body)
}

// metrics is a scrape of /metrics: series (name and sorted labels) to
// value.
type metrics map[string]float64

var labelRE = regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`)

func scrape(t testing.TB, url string) metrics {
	t.Helper()
	m := metrics{}
	for _, line := range strings.Split(httpGet(t, url+"/metrics"), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		m[line[:i]] = v
	}
	return m
}

// get returns the value of the series name{labels}, labels given as
// k, v pairs in any order; 0 when absent.
func (m metrics) get(name string, kv ...string) float64 {
	want := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		want[kv[i]] = kv[i+1]
	}
	for series, v := range m {
		n, labels, _ := strings.Cut(series, "{")
		if n != name {
			continue
		}
		got := map[string]string{}
		for _, lm := range labelRE.FindAllStringSubmatch(labels, -1) {
			got[lm[1]] = lm[2]
		}
		if len(got) != len(want) {
			continue
		}
		match := true
		for k, v := range want {
			match = match && got[k] == v
		}
		if match {
			return v
		}
	}
	return 0
}
