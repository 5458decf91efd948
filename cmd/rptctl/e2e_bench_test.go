package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// slowDNS starts a DNS server on 127.0.0.1 (UDP) that answers every
// question after delay: PTR questions with a host name, the rest with
// NXDOMAIN, so that enrichment pays the delay for each new address.
func slowDNS(tb testing.TB, delay time.Duration) string {
	tb.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		time.Sleep(delay)
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		if q.Qtype == dns.TypePTR {
			name := "host-" + strings.ReplaceAll(q.Name, ".", "-") + "example.net."
			m.Answer = append(m.Answer, &dns.PTR{Hdr: dns.RR_Header{Name: q.Name,
				Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 3600}, Ptr: name})
		} else {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m) // the client may have given up; nothing to do
	})
	srv := &dns.Server{PacketConn: pc, Handler: h}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }() // ends at Shutdown
	<-started
	tb.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// benchFile is one corpus file that parses cleanly, with its reports.
type benchFile struct {
	name    string
	data    []byte
	reports int
}

// benchCorpus reads the corpus files whose every report is expected to
// parse.
func benchCorpus(b *testing.B) []benchFile {
	facts := loadFacts(b, corpusRoot(b))
	okOnly := map[string]int{}
	for _, f := range facts {
		if f.expect != "ok" {
			okOnly[f.file] = -1 << 30
		}
		okOnly[f.file]++
	}
	var out []benchFile
	for _, file := range corpusFiles(facts) {
		if okOnly[file] <= 0 {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, benchFile{name: file, data: data, reports: okOnly[file]})
	}
	return out
}

// BenchmarkE2EThroughput measures reports per second from the first
// submission to the last result stored, replaying the corpus through a
// real `rptctl serve` on the local backend: one pipeline with one parser
// against the defaults, with DNS off and with a DNS server that answers
// after 20 ms.
//
//	go test -run XXX -bench E2EThroughput -benchtime 3x ./cmd/rptctl
func BenchmarkE2EThroughput(b *testing.B) {
	files := benchCorpus(b)
	dnsAddr := slowDNS(b, 20*time.Millisecond)
	one := []string{"--pipelines", "1", "--parsers", "1"}
	slow := []string{"--dns-server", dnsAddr, "--dns-timeout", "1s"}
	cases := []struct {
		name string
		args []string
	}{
		{"pipelines=1,parsers=1,no-dns", one},
		{"defaults,no-dns", nil},
		{"pipelines=1,parsers=1,dns=20ms", append(one, slow...)},
		{"defaults,dns=20ms", slow},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := localSystem(b)
			args := append([]string{"serve", "--listen", "127.0.0.1:0"},
				c.args...)
			if !strings.Contains(c.name, "dns=") {
				args = append(args, "--no-dns")
			}
			p := startProc(b, s, append([]string{"--log-format", "json"}, args...)...)
			url := "http://" + p.waitListening()
			reports := 0
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				reports += replay(b, url, files, i)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(reports)/elapsed.Seconds(), "reports/s")
			p.stop()
		})
	}
}

// replay submits every file once, with fresh trace ids, and waits until
// the server has deleted every message; it returns the reports sent.
func replay(b *testing.B, url string, files []benchFile, round int) int {
	before := scrape(b, url).get("rptctl_messages_total", "event", "deleted")
	c := &http.Client{Timeout: time.Minute}
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				trace := fmt.Sprintf("bench-%d-%d", round, i)
				code, err := postRaw(c, url, "acme", trace, files[i].data)
				if err != nil || code != http.StatusAccepted {
					b.Errorf("%s: %d %v", files[i].name, code, err)
				}
			}
		}()
	}
	reports := 0
	for i := range files {
		next <- i
		reports += files[i].reports
	}
	close(next)
	wg.Wait()

	want := before + float64(len(files))
	deadline := time.Now().Add(5 * time.Minute)
	for scrape(b, url).get("rptctl_messages_total", "event", "deleted") < want {
		if time.Now().After(deadline) {
			b.Fatal("the server did not process the corpus within 5 minutes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return reports
}
