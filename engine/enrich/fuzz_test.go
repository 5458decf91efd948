package enrich

import (
	"strings"
	"testing"
)

// FuzzServiceMap feeds the service map reader operator CSVs: it must not
// panic, and what it accepts must be usable.
func FuzzServiceMap(f *testing.F) {
	f.Add(servicesCSV)
	f.Add("domain,name,type\nrelay.example.com,Relay,Forwarder\n")
	f.Add("\"mail-*.example.org\",Pattern,ESP\n[,x,y\n")
	f.Add("a.com,\"A, Inc.\",ESP\nb.com,B\n")
	f.Fuzz(func(t *testing.T, csv string) {
		m := &serviceMap{suffixes: make(map[string]service)}
		if err := m.read(strings.NewReader(csv), "fuzz"); err != nil {
			return
		}
		for domain, svc := range m.suffixes {
			if domain == "" || svc.Name == "" || svc.Type == "" {
				t.Errorf("accepted an empty field: %q %+v", domain, svc)
			}
		}
		m.match("mail-1.example.org")
	})
}

// FuzzBaseDomain checks that the base domain of any name is empty or a
// suffix of it on a label boundary.
func FuzzBaseDomain(f *testing.F) {
	for _, s := range []string{"mail.google.com", "a.compute-1.amazonaws.com", "co.uk",
		"x..y", ".", "a.b.c.d.e.f", "xn--bcher-kva.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		base := baseDomain(host)
		if base != "" && base != host && !strings.HasSuffix(host, "."+base) {
			t.Errorf("baseDomain(%q) = %q, not a parent", host, base)
		}
	})
}

// FuzzSource checks that any source IP text is handled without DNS.
func FuzzSource(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1",
		"fe80::1%eth0", "", "not-an-ip", "1.2.3.4.5"} {
		f.Add(s)
	}
	e, err := New(Options{NoDNS: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = e.Close() }) // nothing to release without databases
	f.Fuzz(func(t *testing.T, ip string) {
		e.Source(t.Context(), ip)
	})
}
