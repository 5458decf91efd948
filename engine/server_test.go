package engine

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rptctl/rptctl/awsio"
)

// Answers without a route are JSON errors too.
func TestFallbackAnswersJSON(t *testing.T) {
	r := newIngestRig(t, "", 0)
	tests := []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/nowhere", 404, "not_found"},
		{"GET", "/v1/reports", 405, "method_not_allowed"},
		{"DELETE", "/v1/reports/abc", 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, r.srv.URL+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		status, m := do(t, req)
		if status != tt.status || errCode(m) != tt.code {
			t.Errorf("%s %s = %d %v, want %d %s", tt.method, tt.path, status, m, tt.status,
				tt.code)
		}
	}
}

func TestMultipartFieldsAndHeaders(t *testing.T) {
	r := newIngestRig(t, "", 0)
	tests := []struct {
		name    string
		fields  map[string]string
		headers map[string]string
		status  int
		code    string
		message string
	}{
		{"ids as headers", map[string]string{},
			map[string]string{"X-Company-Id": "acme", "X-Customer-Id": "c1"}, 202, "", ""},
		{"ids missing", map[string]string{}, nil, 400, "invalid_company_id",
			"the form has no field companyId"},
		{"customer missing", map[string]string{"companyId": "acme"}, nil, 400,
			"invalid_customer_id", "the form has no field customerId"},
		{"bad company", map[string]string{"companyId": ".x", "customerId": "c1"}, nil, 400,
			"invalid_company_id", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := formRequest(t, r.srv.URL, tt.fields, sampleXML)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			status, m := do(t, req)
			e, _ := m["error"].(map[string]any)
			msg, _ := e["message"].(string)
			if status != tt.status || errCode(m) != tt.code && tt.code != "" ||
				!strings.Contains(msg, tt.message) {
				t.Errorf("answer = %d %v, want %d %s", status, m, tt.status, tt.code)
			}
		})
	}
}

func TestMalformedMultipart(t *testing.T) {
	r := newIngestRig(t, "", 0)
	for _, ct := range []string{"multipart/form-data", "multipart/form-data; boundary=",
		"multipart/mixed; boundary=x", "multipart/form-data; boundary=zzz"} {
		req := rawRequest(t, r.srv.URL, map[string]string{"contentType": ct}, "garbage")
		status, m := do(t, req)
		if status != 400 || errCode(m) != "invalid_multipart" {
			t.Errorf("Content-Type %q: answer = %d %v, want 400 invalid_multipart", ct,
				status, m)
		}
	}
}

// /readyz writes to the store: a bucket folder replaced by a file makes
// it unready, though a Head would say "not found".
func TestReadyChecksStore(t *testing.T) {
	dir := t.TempDir()
	b, err := awsio.Open(context.Background(), awsio.Config{Backend: "local", DataDir: dir,
		Queue: "q", DLQ: "dlq", Bucket: "bkt", NoSweep: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	in := NewIngest(IngestConfig{Queue: b.Queue, Store: b.Store, MaxUpload: 4096,
		Payloads: &awsio.Payloads{Store: b.Store, Bucket: "bkt"},
		Metrics:  NewMetrics(prometheus.NewRegistry())})
	h := in.Handler(HandlerOptions{})
	ready := func() int {
		req, _ := http.NewRequest("GET", "/readyz", nil) // a fixed, valid request
		w := &recorder{header: http.Header{}}
		h.ServeHTTP(w, req)
		return w.status
	}
	if c := ready(); c != 200 {
		t.Fatalf("readyz = %d, want 200", c)
	}
	bucket := filepath.Join(dir, "bkt")
	if err := os.RemoveAll(bucket); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bucket, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c := ready(); c != 503 {
		t.Errorf("readyz with the bucket folder a file = %d, want 503", c)
	}
}

type recorder struct {
	header http.Header
	status int
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return len(p), nil
}
func (r *recorder) WriteHeader(code int) { r.status = code }
