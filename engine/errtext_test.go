package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rptctl/rptctl/awsio"
)

func TestErrorText(t *testing.T) {
	many := make([]error, 50)
	for i := range many {
		many[i] = fmt.Errorf("entry %d.xml: not a report", i)
	}
	tests := []struct {
		name     string
		err      error
		want     []string
		notWant  []string
		maxBytes int
	}{
		{"plain", errors.New("boom"), []string{"boom"}, nil, 4},
		{"joined few", errors.Join(many[:3]...), []string{"entry 0.xml", "entry 2.xml"},
			[]string{"\n", "more"}, 200},
		{"joined many", fmt.Errorf("parsing: %w", errors.Join(many...)),
			[]string{"parsing: entry 0.xml", "entry 2.xml", "(+47 more)"},
			[]string{"entry 3.xml", "\n"}, 200},
		{"huge", errors.New(strings.Repeat("é", 10000)), []string{"(truncated)"}, nil,
			maxErrorText + 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := errorText(tt.err)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("errorText = %q, want %q in it", got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("errorText = %q, want no %q in it", got, w)
				}
			}
			if len(got) > tt.maxBytes {
				t.Errorf("errorText has %d bytes, want at most %d", len(got), tt.maxBytes)
			}
		})
	}
}

// A store that fails every batch gives one error, not one per batch.
func TestEngineFailureErrorOnce(t *testing.T) {
	r := newRig(t, 1)
	r.cfg.BatchRecords = 1
	r.store.fail = func(key string) error {
		if strings.HasPrefix(key, "results/") {
			return errBoom
		}
		return nil
	}
	r.submit(t, "t1", "report a 20")
	r.run(t)

	f, err := GetFailure(context.Background(), r.store, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(f.Error, "boom"); n != 1 || !strings.Contains(f.Error, "19 more") {
		t.Errorf("failure error = %q, want boom once and 19 more", f.Error)
	}
	if st := r.status(t, "t1"); st.State != StateFailed || st.Error != f.Error {
		t.Errorf("status = %+v", st)
	}
	if n := strings.Count(r.logs.String(), "boom"); n != 1 {
		t.Errorf("log says boom %d times, want once: %s", n, r.logs.String())
	}
}

// An attachment of 50 bad parts is listed compactly.
func TestEngineManyBadParts(t *testing.T) {
	r := newRig(t, 5)
	var body strings.Builder
	for i := range 50 {
		fmt.Fprintf(&body, "error entry %d is broken\n", i)
	}
	r.submit(t, "t1", body.String())
	r.run(t)

	st := r.status(t, "t1")
	if st.State != StateFailed || !strings.Contains(st.Error, "(+47 more)") ||
		strings.Contains(st.Error, "entry 3 ") || strings.Contains(st.Error, "\n") {
		t.Errorf("status = %+v", st)
	}
}

// Bodies that no retry mends go to the DLQ at the first receive; a
// pointer to a missing object is retried.
func TestEnginePermanentPayloadErrors(t *testing.T) {
	tests := []struct {
		name      string
		codec     PayloadCodec
		body      string
		permanent bool
	}{
		{"bad base64", &awsio.Payloads{Bucket: "b"}, "!!not base64!!", true},
		{"malformed pointer", &awsio.Payloads{Bucket: "b"},
			`["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3Key":1}]`, true},
		{"unknown pointer class", &awsio.Payloads{Bucket: "b"},
			`["com.example.Pointer",{"s3BucketName":"b","s3Key":"k"}]`, true},
		{"missing object", errCodec{fmt.Errorf("fetching: %w", awsio.ErrNotFound)}, "x",
			false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 3)
			r.cfg.Payloads = tt.codec
			attrs := map[string]awsio.Attribute{
				AttrTraceID: str("t1"), AttrCompanyID: str("acme"), AttrCustomerID: str("c1"),
			}
			if _, err := r.q.Send(context.Background(), tt.body, attrs); err != nil {
				t.Fatal(err)
			}
			r.run(t)

			f, err := GetFailure(context.Background(), r.store, "t1")
			if err != nil {
				t.Fatal(err)
			}
			wantReceives := 3
			if tt.permanent {
				wantReceives = 1
			}
			if f.Permanent != tt.permanent || f.ReceiveCount != wantReceives {
				t.Errorf("failure = %+v, want permanent %v after %d receives", f,
					tt.permanent, wantReceives)
			}
			if st := r.status(t, "t1"); st.State != StateFailed {
				t.Errorf("status = %+v", st)
			}
		})
	}
}

// errCodec fails every decode with err.
type errCodec struct{ err error }

func (c errCodec) Encode(_ context.Context, _ string, _ []byte,
	attrs map[string]awsio.Attribute) (string, map[string]awsio.Attribute, bool, error) {
	return "", attrs, false, c.err
}

func (c errCodec) Decode(context.Context, awsio.Message) ([]byte, error) {
	return nil, c.err
}
