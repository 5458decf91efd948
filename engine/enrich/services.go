package enrich

import (
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// servicesCSV is the embedded map of well-known senders: one
// `domain,name,type` a line, `#` comments. A domain matches itself and every
// name below it; a domain with `*` is a path.Match pattern over the whole
// hostname (where a provider's reverse names share no suffix of their own).
//
//go:embed services.csv
var servicesCSV string

// The service types of sources that are not a known sender.
const (
	// TypeUnknown is the type of a hostname we have no entry for, and of
	// an IP without PTR.
	TypeUnknown = "unknown"
	// ServiceNoPTR is the Service of an IP whose reverse lookup said, with
	// authority, that there is no name (NXDOMAIN or no PTR record): mail
	// from such an address is rarely legitimate, so it is a category of its
	// own. An IP whose lookup failed (timeout, SERVFAIL) has no Service.
	ServiceNoPTR = "(no PTR)"
)

// service is what the map says of a domain.
type service struct {
	Name, Type string
}

// serviceMap finds the sending service of a hostname.
type serviceMap struct {
	suffixes map[string]service
	patterns []pattern // in order, override file first
}

// pattern is one wildcard entry. tail is the literal end of glob, which a
// matching host must end with: a cheap test before path.Match.
type pattern struct {
	glob, tail string
	svc        service
}

// loadServices reads the embedded map and, when overridePath is not empty,
// the operator's CSV over it.
func loadServices(overridePath string) (*serviceMap, error) {
	m := &serviceMap{suffixes: make(map[string]service)}
	if err := m.read(strings.NewReader(servicesCSV), "embedded service map"); err != nil {
		return nil, err
	}
	if overridePath == "" {
		return m, nil
	}

	f, err := os.Open(overridePath)
	if err != nil {
		return nil, fmt.Errorf("opening service map: %w", err)
	}
	defer func() { _ = f.Close() }() // read only: nothing to lose
	// The override's patterns go before the embedded ones.
	embedded := m.patterns
	m.patterns = nil
	if err := m.read(f, overridePath); err != nil {
		return nil, err
	}
	m.patterns = append(m.patterns, embedded...)
	return m, nil
}

// read adds the entries of one CSV, later entries replacing earlier ones.
// A header line `domain,name,type` is skipped.
func (m *serviceMap) read(r io.Reader, name string) error {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = 3
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if first && strings.EqualFold(strings.TrimSpace(rec[0]), "domain") {
			continue
		}
		if err := m.add(rec); err != nil {
			return fmt.Errorf("reading %s: line %d: %w", name, line, err)
		}
	}
}

// add adds one record.
func (m *serviceMap) add(rec []string) error {
	domain := strings.ToLower(strings.Trim(strings.TrimSpace(rec[0]), "."))
	svc := service{Name: strings.TrimSpace(rec[1]), Type: strings.TrimSpace(rec[2])}
	switch {
	case domain == "":
		return errors.New("empty domain")
	case svc.Name == "":
		return fmt.Errorf("empty name for %q", domain)
	case svc.Type == "":
		return fmt.Errorf("empty type for %q", domain)
	}

	if !strings.Contains(domain, "*") {
		m.suffixes[domain] = svc
		return nil
	}
	if _, err := path.Match(domain, ""); err != nil {
		return fmt.Errorf("pattern %q: %w", domain, err)
	}
	tail := domain[strings.LastIndexAny(domain, "*?]")+1:]
	m.patterns = append(m.patterns, pattern{glob: domain, tail: tail, svc: svc})
	return nil
}

// match returns the service of host (lower case, no final dot): the first
// pattern that matches, else the longest domain that is host or a parent.
func (m *serviceMap) match(host string) (service, bool) {
	for _, p := range m.patterns {
		if !strings.HasSuffix(host, p.tail) {
			continue
		}
		if ok, _ := path.Match(p.glob, host); ok {
			return p.svc, true
		}
	}
	for s := host; s != ""; {
		if svc, ok := m.suffixes[s]; ok {
			return svc, true
		}
		_, s, _ = strings.Cut(s, ".")
	}
	return service{}, false
}
