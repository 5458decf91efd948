package enrich

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/rptctl/rptctl/reports"
)

// writeMMDB builds a MaxMind-format database of dbType with one record per
// network and returns its path.
func writeMMDB(t *testing.T, dbType string, nets map[string]mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: dbType,
		// The test networks are documentation ranges, reserved otherwise.
		IncludeReservedNetworks: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range nets {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), dbType+".mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func country(iso string) mmdbtype.Map {
	return mmdbtype.Map{
		"country": mmdbtype.Map{"iso_code": mmdbtype.String(iso)},
	}
}

func asn(n uint32, org string) mmdbtype.Map {
	return mmdbtype.Map{
		"autonomous_system_number":       mmdbtype.Uint32(n),
		"autonomous_system_organization": mmdbtype.String(org),
	}
}

func TestGeo(t *testing.T) {
	countryDB := writeMMDB(t, "GeoLite2-Country", map[string]mmdbtype.Map{
		"192.0.2.0/24":  country("NL"),
		"2001:db8::/32": country("DE"),
	})
	asnDB := writeMMDB(t, "GeoLite2-ASN", map[string]mmdbtype.Map{
		"192.0.2.0/25":  asn(64500, "Example Networks B.V."),
		"2001:db8::/48": asn(64501, "Beispiel GmbH"),
	})

	tests := []struct {
		name   string
		opts   Options
		ip     string
		source reports.Source
	}{
		{"both", Options{GeoIPDB: countryDB, ASNDB: asnDB}, "192.0.2.1",
			reports.Source{Country: "NL", ASN: 64500, ASOrg: "Example Networks B.V."}},
		{"v6", Options{GeoIPDB: countryDB, ASNDB: asnDB}, "2001:db8::25",
			reports.Source{Country: "DE", ASN: 64501, ASOrg: "Beispiel GmbH"}},
		{"mapped v4", Options{GeoIPDB: countryDB, ASNDB: asnDB}, "::ffff:192.0.2.1",
			reports.Source{Country: "NL", ASN: 64500, ASOrg: "Example Networks B.V."}},
		{"in country only", Options{GeoIPDB: countryDB, ASNDB: asnDB}, "192.0.2.200",
			reports.Source{Country: "NL"}},
		{"in neither", Options{GeoIPDB: countryDB, ASNDB: asnDB}, "198.51.100.1",
			reports.Source{}},
		{"country db only", Options{GeoIPDB: countryDB}, "192.0.2.1",
			reports.Source{Country: "NL"}},
		{"asn db only", Options{ASNDB: asnDB}, "192.0.2.1",
			reports.Source{ASN: 64500, ASOrg: "Example Networks B.V."}},
		{"no db", Options{}, "192.0.2.1", reports.Source{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.NoDNS = true
			e := testEnricher(t, tt.opts, newFakeClock())
			if got := e.Source(t.Context(), tt.ip); got != tt.source {
				t.Errorf("Source(%q) = %+v, want %+v", tt.ip, got, tt.source)
			}
		})
	}
}

func TestGeoOpenErrors(t *testing.T) {
	notMMDB := filepath.Join(t.TempDir(), "junk.mmdb")
	if err := os.WriteFile(notMMDB, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{
		{NoDNS: true, GeoIPDB: filepath.Join(t.TempDir(), "missing.mmdb")},
		{NoDNS: true, ASNDB: notMMDB},
	} {
		if e, err := New(opts); err == nil {
			_ = e.Close() // the failure is that it opened at all
			t.Errorf("New(%+v) succeeded, want an error", opts)
		}
	}
}
