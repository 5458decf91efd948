package awstest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rptctl/rptctl/awsio/awstest"
)

func TestEndpoint(t *testing.T) {
	ep := awstest.Endpoint(t)
	if !strings.HasPrefix(ep, "http://127.0.0.1:") && !strings.HasPrefix(ep, "http") {
		t.Fatalf("endpoint %q", ep)
	}
	if again := awstest.Endpoint(t); again != ep {
		t.Errorf("second call gave %q, want the same endpoint %q", again, ep)
	}
	resp, err := http.Get(ep + "/health")
	if err != nil {
		t.Fatalf("endpoint not answering: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /health: %s", resp.Status)
	}
	a, b := awstest.Config(t, ep), awstest.Config(t, ep)
	if a.Queue == b.Queue || a.Bucket == b.Bucket || a.Backend != "aws" || !a.S3PathStyle {
		t.Errorf("configs %+v and %+v", a, b)
	}
}
