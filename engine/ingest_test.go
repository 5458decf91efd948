package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine/results"
)

const sampleXML = `<?xml version="1.0"?><feedback><report_metadata/></feedback>`

// ingestRig is an ingest server over fakes and the real payload codec.
type ingestRig struct {
	q     *fakeQueue
	store *memStore
	srv   *httptest.Server
}

func newIngestRig(t *testing.T, tokens string, inline int) *ingestRig {
	t.Helper()
	r := &ingestRig{q: newFakeQueue(0), store: newMemStore()}
	cfg := IngestConfig{
		Queue: r.q, Store: r.store, MaxUpload: 4096,
		Payloads: &awsio.Payloads{Store: r.store, Bucket: "b", InlineLimit: inline},
		Metrics:  NewMetrics(prometheus.NewRegistry()),
	}
	if tokens != "" {
		tok, err := ReadTokens(strings.NewReader(tokens))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Tokens = tok
	}
	r.srv = httptest.NewServer(NewIngest(cfg).Handler(HandlerOptions{}))
	t.Cleanup(r.srv.Close)
	return r
}

// rawRequest builds a raw-body POST with the fields as headers.
func rawRequest(t *testing.T, url string, fields map[string]string, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/v1/reports", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hdr := map[string]string{"traceId": "X-Trace-Id", "companyId": "X-Company-Id",
		"customerId": "X-Customer-Id", "contentType": "Content-Type", "token": "Authorization"}
	for k, v := range fields {
		req.Header.Set(hdr[k], v)
	}
	return req
}

// formRequest builds a multipart POST; the file part comes last, as
// browsers and curl -F send it.
func formRequest(t *testing.T, url string, fields map[string]string, body string) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, k := range []string{"traceId", "companyId", "customerId", "contentType"} {
		if v, ok := fields[k]; ok {
			if err := mw.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if body != "\x00nofile" {
		fw, err := mw.CreateFormFile("file", "dir/report.xml")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(body))
	}
	mw.Close()
	req, err := http.NewRequest("POST", url+"/v1/reports", &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if tok, ok := fields["token"]; ok {
		req.Header.Set("Authorization", tok)
	}
	return req
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return resp.StatusCode, m
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func TestPostValidation(t *testing.T) {
	ok := map[string]string{"companyId": "acme", "customerId": "c-1"}
	with := func(k, v string) map[string]string {
		m := map[string]string{"companyId": "acme", "customerId": "c-1"}
		m[k] = v
		return m
	}
	tests := []struct {
		name     string
		fields   map[string]string
		body     string
		wantCode int
		wantErr  string
	}{
		{"accepted", ok, sampleXML, 202, ""},
		{"trace id kept", with("traceId", "t:1.a_b-c"), sampleXML, 202, ""},
		{"no company", map[string]string{"customerId": "c"}, sampleXML, 400,
			"invalid_company_id"},
		{"company with slash", with("companyId", "a/b"), sampleXML, 400,
			"invalid_company_id"},
		{"company starting with dot", with("companyId", ".acme"), sampleXML, 400,
			"invalid_company_id"},
		{"company too long", with("companyId", strings.Repeat("a", 65)), sampleXML, 400,
			"invalid_company_id"},
		{"company of 64", with("companyId", strings.Repeat("a", 64)), sampleXML, 202, ""},
		{"no customer", map[string]string{"companyId": "acme"}, sampleXML, 400,
			"invalid_customer_id"},
		{"customer with space", with("customerId", "c 1"), sampleXML, 400,
			"invalid_customer_id"},
		{"trace with slash", with("traceId", "../x"), sampleXML, 400, "invalid_trace_id"},
		{"trace too long", with("traceId", strings.Repeat("t", 129)), sampleXML, 400,
			"invalid_trace_id"},
		{"bad content type", with("contentType", "not a type"), sampleXML, 400,
			"invalid_content_type"},
		{"unknown bytes", ok, "hello world, no report", 415, "unsupported_media_type"},
		{"empty body", ok, "", 415, "unsupported_media_type"},
		{"too large", ok, "<?xml version=\"1.0\"?>" + strings.Repeat("x", 5000), 413,
			"too_large"},
	}
	forms := map[string]func(*testing.T, string, map[string]string, string) *http.Request{
		"raw": rawRequest, "multipart": formRequest,
	}
	for formName, build := range forms {
		for _, tt := range tests {
			t.Run(formName+"/"+tt.name, func(t *testing.T) {
				r := newIngestRig(t, "", 0)
				code, m := do(t, build(t, r.srv.URL, tt.fields, tt.body))
				if code != tt.wantCode || errCode(m) != tt.wantErr {
					t.Fatalf("got %d %v, want %d %s", code, m, tt.wantCode, tt.wantErr)
				}
				queued := len(r.q.snapshot())
				if (code == 202) != (queued == 1) {
					t.Errorf("answer %d but %d messages queued", code, queued)
				}
				if code == 202 {
					checkAccepted(t, r, tt.fields, m)
				}
			})
		}
	}
}

// checkAccepted checks the answer, the message and the status of an
// accepted submission.
func checkAccepted(t *testing.T, r *ingestRig, fields map[string]string, m map[string]any) {
	t.Helper()
	trace, _ := m["traceId"].(string)
	if want := fields["traceId"]; want != "" && trace != want {
		t.Errorf("traceId = %q, want %q", trace, want)
	}
	if !validTraceID(trace) || m["messageId"] == "" || m["delivery"] != "inline" ||
		m["size"].(float64) != float64(len(sampleXML)) {
		t.Errorf("answer = %v", m)
	}
	msg := r.q.snapshot()[0]
	for _, k := range []string{AttrTraceID, AttrCompanyID, AttrCustomerID, AttrContentType,
		AttrReceivedAt} {
		if msg.Attributes[k].Value == "" {
			t.Errorf("message lacks attribute %s: %v", k, msg.Attributes)
		}
	}
	st, err := GetStatus(context.Background(), r.store, fields["companyId"], trace)
	if err != nil || st.State != StateQueued || st.Size != len(sampleXML) {
		t.Errorf("status = %+v, %v", st, err)
	}
}

func TestPostAuth(t *testing.T) {
	tokens := "# tokens\nsecret-a acme\nsecret-all *\n\nsecret-b beta # comment\n"
	tests := []struct {
		name, auth, company string
		want                int
	}{
		{"no token", "", "acme", 401},
		{"unknown token", "Bearer nope", "acme", 401},
		{"not bearer", "Basic secret-a", "acme", 401},
		{"own company", "Bearer secret-a", "acme", 202},
		{"other company", "Bearer secret-a", "beta", 403},
		{"wildcard", "Bearer secret-all", "beta", 202},
		{"second line", "Bearer secret-b", "beta", 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newIngestRig(t, tokens, 0)
			fields := map[string]string{"companyId": tt.company, "customerId": "c"}
			if tt.auth != "" {
				fields["token"] = tt.auth
			}
			code, m := do(t, rawRequest(t, r.srv.URL, fields, sampleXML))
			if code != tt.want {
				t.Fatalf("got %d %v, want %d", code, m, tt.want)
			}
		})
	}
}

func TestReadTokensRejects(t *testing.T) {
	for _, in := range []string{"", "# only comments\n", "tok\n", "tok a b\n", "tok a/b\n"} {
		if _, err := ReadTokens(strings.NewReader(in)); err == nil {
			t.Errorf("ReadTokens(%q) accepted", in)
		}
	}
}

func TestPostUnavailable(t *testing.T) {
	r := newIngestRig(t, "", 0)
	r.q.sendErr = awsio.ErrUnavailable
	fields := map[string]string{"companyId": "acme", "customerId": "c", "traceId": "t1"}
	code, m := do(t, rawRequest(t, r.srv.URL, fields, sampleXML))
	if code != 503 || errCode(m) != "unavailable" {
		t.Fatalf("got %d %v, want 503", code, m)
	}
	if keys := r.store.keys(results.StatusPrefix); len(keys) != 0 {
		t.Errorf("status left behind for a report never queued: %v", keys)
	}

	r.q.sendErr = nil
	r.store.fail = func(string) error { return awsio.ErrUnavailable }
	code, _ = do(t, rawRequest(t, r.srv.URL, fields, sampleXML))
	if code != 503 || len(r.q.snapshot()) != 0 {
		t.Errorf("store down: got %d and %d messages queued", code, len(r.q.snapshot()))
	}
}

// The body is offloaded exactly when body plus attributes exceed the
// inline limit, counted as SQS counts.
func TestPostInlineOffloadBoundary(t *testing.T) {
	fields := map[string]string{"companyId": "acme", "customerId": "c", "traceId": "t1",
		"contentType": "application/xml"}
	body := sampleXML + strings.Repeat(" ", 300)
	// The size of the message the server builds, receivedAt included.
	probe := newIngestRig(t, "", 1<<20)
	if code, m := do(t, rawRequest(t, probe.srv.URL, fields, body)); code != 202 {
		t.Fatalf("probe: %d %v", code, m)
	}
	msg := probe.q.snapshot()[0]
	size := awsio.MessageSize(msg.Body, msg.Attributes)

	for _, tt := range []struct {
		limit int
		want  string
	}{{size, "inline"}, {size - 1, "offloaded"}} {
		r := newIngestRig(t, "", tt.limit)
		code, m := do(t, rawRequest(t, r.srv.URL, fields, body))
		if code != 202 || m["delivery"] != tt.want {
			t.Fatalf("limit %d: got %d %v, want %s", tt.limit, code, m, tt.want)
		}
		got := r.q.snapshot()[0]
		payload := r.store.keys(results.PayloadsPrefix)
		if tt.want == "offloaded" {
			if len(payload) != 1 || payload[0] != results.PayloadKey("acme", "c", "t1") ||
				got.Attributes[awsio.SizeAttribute].Value == "" {
				t.Errorf("offloaded: payloads %v, attributes %v", payload, got.Attributes)
			}
		} else if len(payload) != 0 {
			t.Errorf("inline but payload stored: %v", payload)
		}
		p := &awsio.Payloads{Store: r.store, Bucket: "b"}
		raw, err := p.Decode(context.Background(), got)
		if err != nil || string(raw) != body {
			t.Errorf("limit %d: decoded %d bytes, %v", tt.limit, len(raw), err)
		}
	}
}

func TestGetStatus(t *testing.T) {
	r := newIngestRig(t, "tok-a acme\ntok-all *\n", 0)
	fields := map[string]string{"companyId": "acme", "customerId": "c", "traceId": "t1",
		"token": "Bearer tok-a"}
	if code, m := do(t, rawRequest(t, r.srv.URL, fields, sampleXML)); code != 202 {
		t.Fatalf("post: %d %v", code, m)
	}
	tests := []struct {
		name, path, token string
		want              int
	}{
		{"own company implied", "/v1/reports/t1", "tok-a", 200},
		{"own company named", "/v1/reports/t1?companyId=acme", "tok-a", 200},
		{"other company", "/v1/reports/t1?companyId=beta", "tok-a", 403},
		{"wildcard finds company", "/v1/reports/t1", "tok-all", 200},
		{"wildcard unknown trace", "/v1/reports/t2", "tok-all", 404},
		{"bad company", "/v1/reports/t1?companyId=.x", "tok-all", 400},
		{"wildcard", "/v1/reports/t1?companyId=acme", "tok-all", 200},
		{"unknown trace", "/v1/reports/nope", "tok-a", 404},
		{"no token", "/v1/reports/t1", "", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", r.srv.URL+tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			code, m := do(t, req)
			if code != tt.want {
				t.Fatalf("got %d %v, want %d", code, m, tt.want)
			}
			if code == 200 && (m["state"] != StateQueued || m["traceId"] != "t1") {
				t.Errorf("status = %v", m)
			}
		})
	}
}

func TestHealthAndReady(t *testing.T) {
	r := newIngestRig(t, "", 0)
	get := func(path string) int {
		resp, err := http.Get(r.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get("/healthz"); c != 200 {
		t.Errorf("healthz = %d", c)
	}
	if c := get("/readyz"); c != 200 {
		t.Errorf("readyz = %d", c)
	}
	r.q.statsErr = awsio.ErrUnavailable
	if c := get("/readyz"); c != 503 {
		t.Errorf("readyz with queue down = %d", c)
	}
	r.q.statsErr = nil
	r.store.fail = func(string) error { return awsio.ErrUnavailable }
	if c := get("/readyz"); c != 503 {
		t.Errorf("readyz with store down = %d", c)
	}
	if c := get("/debug/pprof/"); c != 404 {
		t.Errorf("pprof without --pprof = %d", c)
	}
}

func TestCheckListen(t *testing.T) {
	tok, _ := ReadTokens(strings.NewReader("t acme\n")) // valid by construction
	tests := []struct {
		addr   string
		tokens *Tokens
		ok     bool
	}{
		{"127.0.0.1:8080", nil, true},
		{"[::1]:8080", nil, true},
		{"localhost:0", nil, true},
		{":8080", nil, false},
		{"0.0.0.0:8080", nil, false},
		{"192.0.2.1:8080", nil, false},
		{"0.0.0.0:8080", tok, true},
	}
	for _, tt := range tests {
		if err := CheckListen(tt.addr, tt.tokens); (err == nil) != tt.ok {
			t.Errorf("CheckListen(%q) = %v, want ok=%v", tt.addr, err, tt.ok)
		}
	}
}

func TestGetStatusWithoutCompany(t *testing.T) {
	r := newIngestRig(t, "", 0)
	get := func() int {
		code, _ := do(t, mustRequest(t, "GET", r.srv.URL+"/v1/reports/t1"))
		return code
	}
	if c := get(); c != 404 {
		t.Errorf("before any post: %d, want 404", c)
	}
	for i, company := range []string{"acme", "beta"} {
		fields := map[string]string{"companyId": company, "customerId": "c", "traceId": "t1"}
		if code, m := do(t, rawRequest(t, r.srv.URL, fields, sampleXML)); code != 202 {
			t.Fatalf("post: %d %v", code, m)
		}
		// One company: found; the same trace id for two: ambiguous.
		if want := []int{200, 400}[i]; get() != want {
			t.Errorf("with %d companies: %d, want %d", i+1, get(), want)
		}
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// Uploads wait for room when the bytes held would pass MaxInFlight.
func TestPostWaitsForUploadRoom(t *testing.T) {
	q, store := newFakeQueue(0), newMemStore()
	in := NewIngest(IngestConfig{Queue: q, Store: store, MaxUpload: 1000, MaxInFlight: 1000,
		Payloads: &awsio.Payloads{Store: store, Bucket: "b"}})
	srv := httptest.NewServer(in.Handler(HandlerOptions{}))
	defer srv.Close()
	fields := map[string]string{"companyId": "acme", "customerId": "c"}

	// The first upload declares the whole room and sends its body slowly.
	pr, pw := io.Pipe()
	first := rawRequest(t, srv.URL, fields, "")
	first.Body, first.ContentLength = pr, 1000
	firstDone := make(chan int)
	go func() {
		code, _ := do(t, first)
		firstDone <- code
	}()
	for in.inFlight.TryAcquire(1) {
		in.inFlight.Release(1) // not taken yet
		time.Sleep(time.Millisecond)
	}
	secondDone := make(chan int)
	go func() {
		code, _ := do(t, rawRequest(t, srv.URL, fields, sampleXML))
		secondDone <- code
	}()
	select {
	case <-secondDone:
		t.Fatal("second upload went through while the first held all the room")
	case <-time.After(50 * time.Millisecond):
	}
	body := sampleXML + strings.Repeat(" ", 1000-len(sampleXML))
	if _, err := pw.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if c1, c2 := <-firstDone, <-secondDone; c1 != 202 || c2 != 202 {
		t.Errorf("answers %d and %d, want 202 for both", c1, c2)
	}
}
