package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

func TestSubmitUsage(t *testing.T) {
	ok := submitOptions{Server: "http://127.0.0.1:1", Company: "a", Customer: "c",
		Parallel: 1, Format: "table", Paths: []string{"x"}}
	tests := []struct {
		name   string
		change func(*submitOptions)
	}{
		{"no company", func(o *submitOptions) { o.Company = "" }},
		{"no customer", func(o *submitOptions) { o.Customer = "" }},
		{"no paths", func(o *submitOptions) { o.Paths = nil }},
		{"parallel 0", func(o *submitOptions) { o.Parallel = 0 }},
		{"bad server", func(o *submitOptions) { o.Server = "::" }},
		{"bad format", func(o *submitOptions) { o.Format = "yaml" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.change(&o)
			err := runSubmit(context.Background(), o, submitDeps{Out: &bytes.Buffer{}})
			var u *usageError
			if !errors.As(err, &u) {
				t.Errorf("got %v, want a usage error", err)
			}
		})
	}
}

func TestSubmitExitCodeForMissingCompany(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main([]string{"rptctl", "submit", "--customer", "c", "x"},
		streams{Out: &out, Err: &errb})
	if code != 2 || !strings.Contains(errb.String(), "--company") {
		t.Errorf("exit %d, stderr %q; want 2 naming --company", code, errb.String())
	}
}

func TestServeRefusesOpenListenWithoutTokens(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main([]string{"rptctl", "--data-dir", t.TempDir(), "serve", "--listen",
		"0.0.0.0:0"}, streams{Out: &out, Err: &errb})
	if code != 2 || !strings.Contains(errb.String(), "--auth-tokens") {
		t.Errorf("exit %d, stderr %q; want 2 asking for --auth-tokens", code, errb.String())
	}
}

func TestSubmitPaths(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a.xml", "sub/b.xml.gz", "sub/deeper/c.eml", "d.json"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rel := func(files []string) string {
		for i, f := range files {
			files[i], _ = filepath.Rel(dir, f)
		}
		return strings.Join(files, ",")
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{filepath.Join(dir, "a.xml")}, "a.xml"},
		{[]string{filepath.Join(dir, "sub")}, "sub/b.xml.gz,sub/deeper/c.eml"},
		{[]string{filepath.Join(dir, "*.xml"), filepath.Join(dir, "*.json")}, "a.xml,d.json"},
	}
	for _, tt := range tests {
		got, err := submitPaths(tt.args)
		if err != nil || rel(got) != tt.want {
			t.Errorf("submitPaths(%v) = %v, %v; want %s", tt.args, got, err, tt.want)
		}
	}
	if _, err := submitPaths([]string{filepath.Join(dir, "nothing*")}); err == nil {
		t.Error("a glob matching nothing was accepted")
	}
}

// fakeServer answers like rptctl serve: files whose body starts with
// "bad" are refused with 415, the others accepted and, on the second
// status poll, processed (or failed when the body starts with "fail").
type fakeServer struct {
	mu     sync.Mutex
	bodies map[string]string // traceId -> body
	polls  map[string]int
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer tok" {
		w.WriteHeader(401)
		return
	}
	if r.Method == "POST" {
		buf := new(bytes.Buffer)
		buf.ReadFrom(r.Body)
		if strings.HasPrefix(buf.String(), "bad") {
			w.WriteHeader(415)
			w.Write([]byte(`{"error":{"code":"unsupported_media_type","message":"no"}}`))
			return
		}
		trace := "t-" + r.Header.Get("Content-Disposition")
		f.bodies[trace] = buf.String()
		w.WriteHeader(202)
		json.NewEncoder(w).Encode(map[string]any{"traceId": trace, "delivery": "inline"})
		return
	}
	trace := strings.TrimPrefix(r.URL.Path, "/v1/reports/")
	f.polls[trace]++
	state := "queued"
	if f.polls[trace] > 1 {
		state = "processed"
		if strings.HasPrefix(f.bodies[trace], "fail") {
			state = "failed"
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"traceId": trace, "state": state})
}

func TestRunSubmit(t *testing.T) {
	fs := &fakeServer{bodies: map[string]string{}, polls: map[string]int{}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	dir := t.TempDir()
	for name, body := range map[string]string{"good.xml": "<x/>", "bad.bin": "bad",
		"fail.xml": "fail"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	opts := submitOptions{Server: srv.URL, Company: "acme", Customer: "c", Token: "tok",
		Parallel: 2, Wait: true, WaitTimeout: 10e9, Format: "csv", Paths: []string{dir}}
	err := runSubmit(context.Background(), opts, submitDeps{Client: srv.Client(), Out: &out,
		Err: &errb})
	if !errors.Is(err, errSilent) {
		t.Errorf("err = %v, want errSilent (exit 1) for the refused and failed files", err)
	}
	rows, cerr := csv.NewReader(&out).ReadAll()
	if cerr != nil {
		t.Fatal(cerr)
	}
	var got []string
	for _, r := range rows[1:] {
		got = append(got, filepath.Base(r[0])+":"+r[2]+":"+r[3])
	}
	sort.Strings(got)
	want := "bad.bin::refused,fail.xml:inline:failed,good.xml:inline:processed"
	if strings.Join(got, ",") != want || strings.Join(rows[0], ",") != "path,traceId,delivery,state" {
		t.Errorf("rows = %v, want %s", rows, want)
	}
	if !strings.Contains(errb.String(), "415") || !strings.Contains(errb.String(), "fail.xml") {
		t.Errorf("stderr = %q", errb.String())
	}
}

// An interrupted --wait says so in one line, not "still queued after
// 10m0s", and still prints the trace ids it got.
func TestRunSubmitInterrupted(t *testing.T) {
	polled := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusAccepted)
			json.NewEncoder(w).Encode(map[string]any{"traceId": "t1", "delivery": "inline"})
			return
		}
		select {
		case polled <- struct{}{}:
		default:
		}
		json.NewEncoder(w).Encode(map[string]any{"traceId": "t1", "state": "queued"})
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "r.xml")
	if err := os.WriteFile(file, []byte("<x/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-polled
		cancel()
	}()
	var out, errb bytes.Buffer
	opts := submitOptions{Server: srv.URL, Company: "acme", Customer: "c", Parallel: 1,
		Wait: true, WaitTimeout: 600e9, Format: "csv", Paths: []string{file}}
	err := runSubmit(ctx, opts, submitDeps{Client: srv.Client(), Out: &out, Err: &errb})
	if err == nil || !strings.Contains(err.Error(), "interrupted") ||
		strings.Contains(err.Error(), "after") || strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %v, want one line saying it was interrupted", err)
	}
	if errb.Len() != 0 {
		t.Errorf("stderr = %q, want nothing beside the error", errb.String())
	}
	if !strings.Contains(out.String(), "t1,inline,queued") {
		t.Errorf("out = %q, want the queued row", out.String())
	}
}
