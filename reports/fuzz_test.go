package reports

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Fuzz tests, one per decoder, seeded with the corpus files of the matching
// container. Run one with, for example:
//
//	go test -run '^$' -fuzz '^FuzzAggregate$' -fuzztime 2m ./reports/

// seed adds the corpus files whose container is one of cs.
func seed(f *testing.F, cs ...Container) {
	f.Helper()
	for _, dir := range []string{"cases", "real/*"} {
		files, _ := filepath.Glob(filepath.Join(corpusDir, dir, "*"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil || len(data) > 1<<20 {
				continue
			}
			for _, c := range cs {
				if Sniff(data) == c {
					f.Add(data)
				}
			}
		}
	}
	f.Add([]byte(aggXML(rec("192.0.2.1", "1"))))
}

// checkReports checks what every parse result must satisfy.
func checkReports(t *testing.T, rs []*Report) {
	for _, r := range rs {
		if r.Warnings == nil {
			t.Fatal("nil warnings")
		}
		if len(r.ReportKey) != 32 && r.ReportKey != "" {
			t.Fatalf("bad key %q", r.ReportKey)
		}
		for _, rec := range r.Records {
			if ip, ok := canonicalIP(rec.SourceIP); !ok || ip != rec.SourceIP {
				t.Fatalf("source IP %q not canonical", rec.SourceIP)
			}
			if rec.Count < 0 {
				t.Fatalf("negative count %d", rec.Count)
			}
		}
	}
}

func FuzzSniff(f *testing.F) {
	seed(f, ContainerXML, ContainerJSON, ContainerGzip, ContainerZip, ContainerEmail)
	f.Fuzz(func(t *testing.T, data []byte) {
		c := Sniff(data)
		if c == ContainerGzip && !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			t.Fatal("gzip without magic")
		}
		rs, _ := Parse(data, Options{Name: "fuzz", Limits: Limits{MaxDecompressed: 8 << 20}})
		checkReports(t, rs)
	})
}

func FuzzGzip(f *testing.F) {
	seed(f, ContainerGzip)
	f.Fuzz(func(t *testing.T, data []byte) {
		w := &walker{file: "fuzz", limits: Limits{MaxDecompressed: 4 << 20}.withDefaults()}
		w.budget = w.limits.MaxDecompressed
		p := part{data: data}
		out, err := w.gunzip(&p)
		if err != nil {
			return
		}
		if int64(len(out)) > w.limits.MaxDecompressed {
			t.Fatalf("%d bytes out, over the limit", len(out))
		}
		// Whatever compress/gzip reads whole must read the same here.
		if z, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
			want, err := io.ReadAll(io.LimitReader(z, w.limits.MaxDecompressed+1))
			if err == nil && !bytes.Equal(out, want) {
				t.Fatalf("%d bytes out, compress/gzip reads %d", len(out), len(want))
			}
		}
	})
}

func FuzzZip(f *testing.F) {
	seed(f, ContainerZip)
	f.Fuzz(func(t *testing.T, data []byte) {
		w := &walker{file: "fuzz", limits: Limits{MaxDecompressed: 4 << 20}.withDefaults()}
		w.budget = w.limits.MaxDecompressed
		w.zip(part{data: data})
		checkReports(t, w.reports)
	})
}

func FuzzMIME(f *testing.F) {
	seed(f, ContainerEmail)
	f.Fuzz(func(t *testing.T, data []byte) {
		w := &walker{file: "fuzz", limits: Limits{MaxDecompressed: 4 << 20}.withDefaults()}
		w.budget = w.limits.MaxDecompressed
		w.email(part{data: data})
		checkReports(t, w.reports)
	})
}

func FuzzAggregate(f *testing.F) {
	seed(f, ContainerXML)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, _, err := parseAggregate(data, false)
		if err == nil {
			checkReports(t, []*Report{r})
		}
	})
}

func FuzzTLS(f *testing.F) {
	seed(f, ContainerJSON)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseTLS(data, hints{})
		if err == nil {
			checkReports(t, []*Report{r})
			if r.Policies == nil {
				t.Fatal("nil policies")
			}
		}
	})
}

func FuzzARF(f *testing.F) {
	for _, s := range []string{
		"Feedback-Type: auth-failure\r\nSource-IP: 192.0.2.1 (h)\r\nReported-Domain: a.b\r\n",
		"Feedback-Type: abuse\nArrival-Date: Thu, 8 Mar 2005 14:00:00 EDT\nSource-IP: ::1\n",
		"  Sender Domain: example.com\n  Sender IP Address: 203.0.113.68\n" +
			"  Received Date: Fri, 19 Jan 2024 14:05:33 +0000\n\n ---- This is a copy of the " +
			"headers\n\nFrom: a@b\n",
	} {
		f.Add([]byte(s), []byte("Received: x\r\nFrom: a@example.com\r\n"))
	}
	f.Fuzz(func(t *testing.T, fields, original []byte) {
		msg := "From: r@example.net\r\nDate: Fri, 19 Jan 2024 14:05:33 +0000\r\n" +
			"Content-Type: multipart/report; report-type=feedback-report; boundary=zz\r\n\r\n" +
			"--zz\r\nContent-Type: text/plain\r\n\r\n" + string(fields) +
			"\r\n--zz\r\nContent-Type: message/feedback-report\r\n\r\n" + string(fields) +
			"\r\n--zz\r\nContent-Type: text/rfc822-headers\r\n\r\n" + string(original) +
			"\r\n--zz--\r\n"
		rs, _ := Parse([]byte(msg), Options{Name: "fuzz"})
		checkReports(t, rs)
		for _, r := range rs {
			if r.Kind == KindFailure && r.Failure.ArrivalDate.Location().String() != "UTC" {
				t.Fatal("arrival date not UTC")
			}
		}
	})
}
