package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
)

// submitOptions are the flags and arguments of `rptctl submit`.
type submitOptions struct {
	Server      string
	Company     string
	Customer    string
	TraceID     string
	ContentType string
	Token       string
	Parallel    int
	Wait        bool
	WaitTimeout time.Duration
	Format      string
	Paths       []string
}

// submitDeps is what runSubmit talks to and writes to.
type submitDeps struct {
	Client *http.Client
	Out    io.Writer
	Err    io.Writer
}

func submitCommand() *cli.Command {
	return &cli.Command{
		Name:      "submit",
		Usage:     "send report files to a server",
		ArgsUsage: "PATH...",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "server", Value: "http://127.0.0.1:8080",
				EnvVars: envName("server"), Usage: "the server's base URL"},
			&cli.StringFlag{Name: "company", EnvVars: envName("company"),
				Usage: "the company the reports are for (required)"},
			&cli.StringFlag{Name: "customer", EnvVars: envName("customer"),
				Usage: "the customer of the company (required)"},
			&cli.StringFlag{Name: "trace-id",
				Usage: "the submission's trace id (one file only; generated otherwise)"},
			&cli.StringFlag{Name: "content-type",
				Usage: "the files' media type (sniffed by the server otherwise)"},
			&cli.StringFlag{Name: "token", EnvVars: envName("token"),
				Usage: "bearer token for a server run with --auth-tokens"},
			&cli.IntFlag{Name: "parallel", Value: 4, Usage: "files sent at once"},
			&cli.BoolFlag{Name: "wait", Usage: "wait until each file is processed or failed"},
			&cli.DurationFlag{Name: "wait-timeout", Value: 10 * time.Minute,
				Usage: "with --wait, give up waiting after this long"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "table, json or csv"},
		},
		Action: action(func(ctx context.Context, c *cli.Context, e *env) error {
			opts := submitOptions{
				Server:      c.String("server"),
				Company:     c.String("company"),
				Customer:    c.String("customer"),
				TraceID:     c.String("trace-id"),
				ContentType: c.String("content-type"),
				Token:       c.String("token"),
				Parallel:    c.Int("parallel"),
				Wait:        c.Bool("wait"),
				WaitTimeout: c.Duration("wait-timeout"),
				Format:      c.String("format"),
				Paths:       c.Args().Slice(),
			}
			deps := submitDeps{Client: &http.Client{Timeout: 5 * time.Minute},
				Out: e.Out, Err: e.Err}
			return runSubmit(ctx, opts, deps)
		}),
	}
}

func (o submitOptions) check() error {
	switch {
	case o.Company == "":
		return usagef("--company is required")
	case o.Customer == "":
		return usagef("--customer is required")
	case len(o.Paths) == 0:
		return usagef("give at least one PATH (a file, a folder or a glob)")
	case o.Parallel < 1 || o.Parallel > 256:
		return usagef("--parallel %d: use 1 to 256", o.Parallel)
	}
	if _, err := url.ParseRequestURI(o.Server); err != nil {
		return usagef("--server %q: %v", o.Server, err)
	}
	return nil
}

// submitResult is one row of submit's output.
type submitResult struct {
	Path     string `json:"path"`
	TraceID  string `json:"traceId"`
	Delivery string `json:"delivery"`
	State    string `json:"state"`
	Error    string `json:"error,omitempty"`
	failed   bool
	stopped  bool // the wait was interrupted; State is the last one seen
}

// runSubmit sends every file of opts.Paths and prints one row a file. It
// fails (exit 1) when any file was refused, failed or could not be sent.
func runSubmit(ctx context.Context, opts submitOptions, deps submitDeps) error {
	if err := opts.check(); err != nil {
		return err
	}
	out, err := newOutput(deps.Out, opts.Format, "table", "json", "csv")
	if err != nil {
		return err
	}
	files, err := submitPaths(opts.Paths)
	if err != nil {
		return err
	}
	if opts.TraceID != "" && len(files) != 1 {
		return usagef("--trace-id names one submission, but %d files were given", len(files))
	}

	res := make([]submitResult, len(files))
	forEach(len(files), opts.Parallel, func(i int) {
		res[i] = submitOne(ctx, opts, deps.Client, files[i])
	})
	if opts.Wait {
		// Waiting holds no upload slot: every file is sent first, then all
		// are waited for together, so a slow queue does not make the
		// uploads take turns with the waits.
		forEach(len(res), maxWaiters, func(i int) {
			if res[i].State == "queued" {
				waitOne(ctx, opts, deps.Client, &res[i])
			}
		})
	}
	if ctx.Err() != nil {
		return printInterrupted(out, res)
	}
	return printSubmit(out, deps.Err, res)
}

// printInterrupted prints the rows known when the user interrupted the
// command (so the trace ids of what was queued are not lost) and returns
// the one line that says so (exit 1).
func printInterrupted(out output, res []submitResult) error {
	waiting := 0
	for i := range res {
		if res[i].stopped {
			waiting++
			res[i].Error = ""
		}
	}
	if err := printSubmit(out, io.Discard, res); err != nil && !errors.Is(err, errSilent) {
		return err
	}
	return fmt.Errorf("interrupted: %d of %d files were still waiting to be processed "+
		"(see their traceId above)", waiting, len(res))
}

func printSubmit(out output, errw io.Writer, res []submitResult) error {
	failed := 0
	for _, r := range res {
		if r.failed {
			failed++
			fmt.Fprintf(errw, "rptctl: %s: %s\n", r.Path, r.Error)
		}
	}
	if out.format == "json" {
		if err := out.JSON(res); err != nil {
			return err
		}
	} else {
		rows := make([][]string, len(res))
		for i, r := range res {
			rows[i] = []string{r.Path, r.TraceID, r.Delivery, r.State}
		}
		if err := out.Rows([]string{"path", "traceId", "delivery", "state"}, rows); err != nil {
			return err
		}
	}
	if failed > 0 {
		return errSilent
	}
	return nil
}

// submitPaths turns the arguments into files: a file as is, a folder
// into every regular file below it (sorted), anything else as a glob.
func submitPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		info, err := os.Stat(a)
		switch {
		case err == nil && info.IsDir():
			files, err := filesBelow(a)
			if err != nil {
				return nil, err
			}
			out = append(out, files...)
		case err == nil:
			out = append(out, a)
		default:
			matches, gerr := filepath.Glob(a)
			if gerr != nil || len(matches) == 0 {
				return nil, fmt.Errorf("%s: no such file, folder or matching glob", a)
			}
			for _, m := range matches {
				if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() {
					out = append(out, m)
				}
			}
		}
	}
	return out, nil
}

func filesBelow(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walking %s: %w", dir, err)
	}
	sort.Strings(out)
	return out, nil
}

// submitOne posts one file (retrying answers that say to retry) and,
// with --wait, waits for its outcome.
func submitOne(ctx context.Context, opts submitOptions, c *http.Client,
	path string) submitResult {
	r := submitResult{Path: path}
	acc, err := postWithRetry(ctx, opts, c, path)
	if err != nil {
		r.State, r.Error, r.failed = "refused", err.Error(), true
		var ae *answerError
		if !errors.As(err, &ae) {
			r.State = "error"
		}
		return r
	}
	r.TraceID, r.Delivery, r.State = acc.TraceID, acc.Delivery, "queued"
	return r
}

// maxWaiters bounds the status polls of --wait in flight at once.
const maxWaiters = 32

// forEach runs f(0..n-1) on at most parallel goroutines and waits.
func forEach(n, parallel int, f func(i int)) {
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(i)
		}()
	}
	wg.Wait()
}

// waitOne waits until the queued submission r is processed or failed.
func waitOne(ctx context.Context, opts submitOptions, c *http.Client, r *submitResult) {
	st, err := waitStatus(ctx, opts, c, r.TraceID)
	if ctx.Err() != nil {
		r.stopped, r.failed = true, true
		if st.State != "" {
			r.State = st.State
		}
		return
	}
	if err != nil {
		r.State, r.Error, r.failed = "unknown", err.Error(), true
		return
	}
	r.State = st.State
	if st.State == "failed" {
		r.Error, r.failed = "failed: "+st.Error, true
	}
}

// accepted is the server's 202 answer.
type accepted struct {
	TraceID   string `json:"traceId"`
	MessageID string `json:"messageId"`
	Delivery  string `json:"delivery"`
	Size      int    `json:"size"`
}

// answerError is an error answer from the server.
type answerError struct {
	Status  int
	Code    string
	Message string
}

func (e *answerError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// retries of one upload when the server answers 503 or cannot be reached.
const (
	postAttempts = 4
	retryPause   = 500 * time.Millisecond
)

func postWithRetry(ctx context.Context, opts submitOptions, c *http.Client,
	path string) (accepted, error) {
	var last error
	for i := range postAttempts {
		if i > 0 {
			select {
			case <-ctx.Done():
				return accepted{}, ctx.Err()
			case <-time.After(retryPause << (i - 1)):
			}
		}
		acc, err := post(ctx, opts, c, path)
		var ae *answerError
		if err == nil || (errors.As(err, &ae) && ae.Status != http.StatusServiceUnavailable) {
			return acc, err
		}
		last = err
	}
	return accepted{}, last
}

// post sends one file as the raw body, the fields in headers.
func post(ctx context.Context, opts submitOptions, c *http.Client,
	path string) (accepted, error) {
	f, err := os.Open(path)
	if err != nil {
		return accepted{}, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		strings.TrimRight(opts.Server, "/")+"/v1/reports", f)
	if err != nil {
		return accepted{}, fmt.Errorf("building the request: %w", err)
	}
	if fi, err := f.Stat(); err == nil {
		req.ContentLength = fi.Size()
	}
	ct := opts.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-Company-Id", opts.Company)
	req.Header.Set("X-Customer-Id", opts.Customer)
	req.Header.Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": filepath.Base(path)}))
	if opts.TraceID != "" {
		req.Header.Set("X-Trace-Id", opts.TraceID)
	}
	setToken(req, opts.Token)

	var acc accepted
	if err := doJSON(c, req, http.StatusAccepted, &acc); err != nil {
		return acc, err
	}
	return acc, nil
}

func setToken(req *http.Request, token string) {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
}

// doJSON sends req and decodes a JSON answer of status want into v, or
// returns the server's error answer.
func doJSON(c *http.Client, req *http.Request, want int, v any) error {
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("sending to %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != want {
		ae := &answerError{Status: resp.StatusCode}
		var eb struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(body, &eb) == nil && eb.Error.Code != "" {
			ae.Code, ae.Message = eb.Error.Code, eb.Error.Message
		} else {
			ae.Code, ae.Message = http.StatusText(resp.StatusCode), strings.TrimSpace(string(body))
		}
		return ae
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decoding the answer: %w", err)
	}
	return nil
}

// reportStatus is the answer of GET /v1/reports/{traceId}.
type reportStatus struct {
	TraceID string   `json:"traceId"`
	State   string   `json:"state"`
	Reports []string `json:"reports"`
	Error   string   `json:"error"`
}

// waitStatus polls the submission's status until it is processed or
// failed, backing off from 100 ms to 2 s between polls.
func waitStatus(ctx context.Context, opts submitOptions, c *http.Client,
	traceID string) (reportStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.WaitTimeout)
	defer cancel()
	u := fmt.Sprintf("%s/v1/reports/%s?companyId=%s", strings.TrimRight(opts.Server, "/"),
		url.PathEscape(traceID), url.QueryEscape(opts.Company))
	pause := 100 * time.Millisecond
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return reportStatus{}, fmt.Errorf("building the request: %w", err)
		}
		setToken(req, opts.Token)
		var st reportStatus
		err = doJSON(c, req, http.StatusOK, &st)
		if err == nil && (st.State == "processed" || st.State == "failed") {
			return st, nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return st, fmt.Errorf("waiting for %s: %w", traceID, err)
			}
			return st, fmt.Errorf("waiting for %s: still %s after %v", traceID, st.State,
				opts.WaitTimeout)
		case <-time.After(pause):
		}
		pause = min(pause*2, 2*time.Second)
	}
}
