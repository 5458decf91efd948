package main

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE2EAuthAndMultipart runs serve with a token file and submits in the
// multipart form, as a browser or `curl -F` would.
func TestE2EAuthAndMultipart(t *testing.T) {
	tmpl, _ := templateReport(t)
	s := localSystem(t)
	tokens := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokens, []byte("# ops\ntok-acme acme\ntok-ops *\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServe(t, s, "--auth-tokens", tokens)

	post := func(token, company string) (int, map[string]any) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("companyId", company)
		mw.WriteField("customerId", "c1")
		fw, _ := mw.CreateFormFile("file", "report.xml") // writes to a buffer
		fw.Write([]byte(tmpl))
		mw.Close()
		req, _ := http.NewRequest("POST", srv.url+"/v1/reports", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return doAnswer(t, req)
	}
	for _, tt := range []struct {
		token, company string
		want           int
	}{
		{"", "acme", 401}, {"nope", "acme", 401}, {"tok-acme", "beta", 403},
		{"tok-ops", "beta", 202}, {"tok-acme", "acme", 202},
	} {
		code, m := post(tt.token, tt.company)
		if code != tt.want {
			t.Fatalf("token %q company %s: %d %v, want %d", tt.token, tt.company, code, m,
				tt.want)
		}
		if code != 202 {
			continue
		}
		trace := m["traceId"].(string)
		deadline := time.Now().Add(time.Minute)
		for {
			req, _ := http.NewRequest("GET", srv.url+"/v1/reports/"+trace+"?companyId="+
				tt.company, nil)
			req.Header.Set("Authorization", "Bearer "+tt.token)
			code, st := doAnswer(t, req)
			if code == 200 && st["state"] == "processed" {
				break
			}
			if time.Now().After(deadline) || code != 200 {
				t.Fatalf("status of %s: %d %v", trace, code, st)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	srv.stop()
	if n := strings.Count(strings.Join(srv.log(), "\n"), `"msg":"report batch"`); n != 2 {
		t.Errorf("%d report batch lines, want 2", n)
	}
}

func doAnswer(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("answer %d is not JSON: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, m
}
