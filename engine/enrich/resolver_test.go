package enrich

import (
	"testing"
)

func TestServerAddr(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"192.0.2.53", "192.0.2.53:53", ""},
		{"192.0.2.53:5353", "192.0.2.53:5353", ""},
		{"2001:db8::53", "[2001:db8::53]:53", ""},
		{"[2001:db8::53]", "[2001:db8::53]:53", ""},
		{"[2001:db8::53]:5353", "[2001:db8::53]:5353", ""},
		{"dns.example.net", "dns.example.net:53", ""},
		{"dns.example.net:5353", "dns.example.net:5353", ""},
		{" 192.0.2.53 ", "192.0.2.53:53", ""},
		{"", "", "use HOST or HOST:PORT"},
		{":53", "", "use HOST or HOST:PORT"},
		{"dns.example.net:", "", "use HOST or HOST:PORT"},
		{"a:b:c", "", "use HOST or HOST:PORT"},
	}
	for _, tt := range tests {
		got, err := serverAddr(tt.in)
		if tt.err != "" {
			if err == nil {
				t.Errorf("serverAddr(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("serverAddr(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestServerListResolvConf(t *testing.T) {
	conf := writeFile(t, "resolv.conf",
		"# test\nsearch example.net\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n")
	got, err := serverList(nil, conf)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"192.0.2.53:53", "[2001:db8::53]:53"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("serverList = %q, want %q", got, want)
	}

	if _, err := serverList(nil, writeFile(t, "empty.conf", "# none\n")); err == nil {
		t.Error("serverList of a resolv.conf without nameserver succeeded")
	}
	if _, err := serverList(nil, "/nonexistent/resolv.conf"); err == nil {
		t.Error("serverList of a missing resolv.conf succeeded")
	}
	got, err = serverList([]string{"192.0.2.1"}, "/nonexistent/resolv.conf")
	if err != nil || len(got) != 1 || got[0] != "192.0.2.1:53" {
		t.Errorf("serverList with servers = %q, %v", got, err)
	}
}
