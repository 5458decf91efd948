package enrich

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServiceMatch(t *testing.T) {
	m, err := loadServices("")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host string
		want service
		ok   bool
	}{
		{"mail-ej1-f41.google.com", service{"Google", "Email Provider"}, true},
		{"mail-db8eur05on2100.outbound.protection.outlook.com",
			service{"Microsoft 365", "Email Provider"}, true},
		{"mail.outlook.com", service{"Outlook.com", "Email Provider"}, true},
		{"a8-31.smtp-out.amazonses.com", service{"Amazon SES", "ESP"}, true},
		{"ec2-1-2-3-4.compute-1.amazonaws.com", service{"Amazon EC2", "Cloud"}, true},
		{"ec2-1-2-3-4.eu-west-1.compute.amazonaws.com", service{"Amazon EC2", "Cloud"}, true},
		{"s3-website.amazonaws.com", service{"Amazon Web Services", "Cloud"}, true},
		{"1.2.3.4.bc.googleusercontent.com", service{"Google Cloud", "Cloud"}, true},
		{"mail132-5.atl131.mcsv.net", service{"Mailchimp", "Marketing"}, true},
		{"o1.ptr1234.sendgrid.net", service{"SendGrid", "ESP"}, true},
		{"mx0a-00123456.pphosted.com", service{"Proofpoint", "Email Security"}, true},
		{"google.com", service{"Google", "Email Provider"}, true},
		{"notgoogle.com", service{}, false},
		{"smtp.example.net", service{}, false},
		{"com", service{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			got, ok := m.match(tt.host)
			if got != tt.want || ok != tt.ok {
				t.Errorf("match(%q) = %v, %v; want %v, %v", tt.host, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestEmbeddedServices checks the size and the vocabulary of the map.
func TestEmbeddedServices(t *testing.T) {
	m, err := loadServices("")
	if err != nil {
		t.Fatal(err)
	}
	names := make(map[string]bool)
	for domain, svc := range m.suffixes {
		names[svc.Name] = true
		if domain != strings.ToLower(domain) || strings.HasSuffix(domain, ".") {
			t.Errorf("domain %q: want lower case without final dot", domain)
		}
	}
	if len(names) < 200 {
		t.Errorf("embedded map names %d services, want at least 200", len(names))
	}
	allowed := map[string]bool{}
	for _, typ := range []string{"Email Provider", "ESP", "Marketing", "Transactional",
		"Email Security", "CRM", "Helpdesk", "ISP", "Web Host", "Cloud", "Forwarder",
		"Collaboration", "E-commerce", "Payments", "Social", "Recruiting"} {
		allowed[typ] = true
	}
	for domain, svc := range m.suffixes {
		if !allowed[svc.Type] {
			t.Errorf("%s: type %q is not one of the documented types", domain, svc.Type)
		}
	}
}

func TestServiceMapOverride(t *testing.T) {
	path := writeFile(t, "services.csv", strings.Join([]string{
		"domain,name,type",
		"# our own relays",
		"relay.example.com,Example Relay,Forwarder",
		"Google.com.,Google (ours),Email Provider",
		"\"mail-*.example.org\",Example Pattern,ESP",
		"",
	}, "\n"))
	m, err := loadServices(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host string
		want service
	}{
		{"a.relay.example.com", service{"Example Relay", "Forwarder"}},
		{"mail-x.google.com", service{"Google (ours)", "Email Provider"}},
		{"mail-7.example.org", service{"Example Pattern", "ESP"}},
		{"o1.sendgrid.net", service{"SendGrid", "ESP"}},
	}
	for _, tt := range tests {
		if got, _ := m.match(tt.host); got != tt.want {
			t.Errorf("match(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestServiceMapErrors(t *testing.T) {
	tests := []struct {
		name, csv, want string
	}{
		{"fields", "domain,name,type\na.com,A,ESP\nb.com,B\n", "line 3"},
		{"quote", "a.com,A,ESP\n\"b.com,B,ESP\n", "line 2"},
		{"empty domain", "a.com,A,ESP\n,B,ESP\n", "line 2: empty domain"},
		{"empty name", "a.com,A,ESP\n\n# c\nb.com, ,ESP\n", "line 4: empty name"},
		{"empty type", "b.com,B,\n", "line 1: empty type"},
		{"bad pattern", "[*.com,B,ESP\n", "line 1: pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "services.csv", tt.csv)
			_, err := New(Options{NoDNS: true, ServiceMap: path})
			if err == nil || !strings.Contains(err.Error(), tt.want) ||
				!strings.Contains(err.Error(), path) {
				t.Errorf("New error = %v, want one naming %s and %q", err, path, tt.want)
			}
		})
	}
	if _, err := New(Options{NoDNS: true, ServiceMap: "/nonexistent.csv"}); err == nil {
		t.Error("New with a missing service map succeeded")
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBaseDomain(t *testing.T) {
	tests := []struct{ host, want string }{
		{"mail-ej1-f41.google.com", "google.com"},
		{"ec2-1-2-3-4.compute-1.amazonaws.com", "amazonaws.com"},
		{"ec2-1-2-3-4.eu-west-1.compute.amazonaws.com", "amazonaws.com"},
		{"a8-31.smtp-out.amazonses.com", "amazonses.com"},
		{"1.2.3.4.bc.googleusercontent.com", "googleusercontent.com"},
		{"mail-db8eur05on2100.outbound.protection.outlook.com", "outlook.com"},
		{"myapp.herokuapp.com", "herokuapp.com"},
		{"vm1.westeurope.cloudapp.azure.com", "azure.com"},
		{"mail.example.co.uk", "example.co.uk"},
		{"smtp.example.net", "example.net"},
		{"example.net", "example.net"},
		{"host.internal", "host.internal"},
		{"a.b.host.internal", "host.internal"},
		{"co.uk", ""},
		{"com", ""},
		{"localhost", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := baseDomain(tt.host); got != tt.want {
			t.Errorf("baseDomain(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}
