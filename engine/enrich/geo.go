package enrich

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/rptctl/rptctl/reports"
)

// geo reads the country and the autonomous system of an address from
// MaxMind-format databases (GeoLite2/GeoIP2 Country or City, and ASN, or
// any database with the same fields). Either reader may be nil. The readers
// are safe for concurrent use.
type geo struct {
	country *maxminddb.Reader
	asn     *maxminddb.Reader
}

// countryRecord is the part of a Country or City record we read.
type countryRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
}

// asnRecord is the part of an ASN record we read.
type asnRecord struct {
	Number uint   `maxminddb:"autonomous_system_number"`
	Org    string `maxminddb:"autonomous_system_organization"`
}

// openGeo opens the databases that are named; an empty path is no data.
func openGeo(countryPath, asnPath string) (*geo, error) {
	g := &geo{}
	var err error
	if countryPath != "" {
		if g.country, err = maxminddb.Open(countryPath); err != nil {
			return nil, fmt.Errorf("opening GeoIP database: %w", err)
		}
	}
	if asnPath != "" {
		if g.asn, err = maxminddb.Open(asnPath); err != nil {
			_ = g.close() // the open error is the one to report
			return nil, fmt.Errorf("opening ASN database: %w", err)
		}
	}
	return g, nil
}

// fill sets the country and AS fields of s that the databases know for
// addr. Lookup errors (a corrupt record) leave the fields empty.
func (g *geo) fill(s *reports.Source, addr netip.Addr) {
	if g.country != nil {
		var rec countryRecord
		if g.country.Lookup(addr).Decode(&rec) == nil {
			s.Country = rec.Country.ISOCode
		}
	}
	if g.asn != nil {
		var rec asnRecord
		if g.asn.Lookup(addr).Decode(&rec) == nil {
			s.ASN = rec.Number
			s.ASOrg = rec.Org
		}
	}
}

// close closes the readers that are open.
func (g *geo) close() error {
	var errs []error
	for _, r := range []*maxminddb.Reader{g.country, g.asn} {
		if r != nil {
			errs = append(errs, r.Close())
		}
	}
	return errors.Join(errs...)
}
