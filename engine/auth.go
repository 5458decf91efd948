package engine

import (
	"bufio"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// Tokens maps bearer tokens to the companies they may act for, as read
// from an --auth-tokens file. The zero value (no file) lets everyone in.
// It is read-only after loading and safe for concurrent use.
type Tokens struct {
	entries []tokenEntry
}

type tokenEntry struct {
	token   []byte
	company string // "*" for every company
}

// LoadTokens reads a token file: one `TOKEN COMPANY_ID` pair a line,
// `*` for every company, `#` starting a comment, blank lines ignored.
func LoadTokens(path string) (*Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening token file: %w", err)
	}
	defer f.Close()
	t, err := ReadTokens(f)
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	return t, nil
}

// ReadTokens reads token lines from r (see LoadTokens).
func ReadTokens(r io.Reader) (*Tokens, error) {
	t := &Tokens{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want `TOKEN COMPANY_ID`, got %d fields", n, len(fields))
		}
		if fields[1] != "*" && !validID(fields[1]) {
			return nil, fmt.Errorf("line %d: company %q is not a valid company id", n, fields[1])
		}
		t.entries = append(t.entries, tokenEntry{token: []byte(fields[0]), company: fields[1]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading tokens: %w", err)
	}
	if len(t.entries) == 0 {
		return nil, fmt.Errorf("no tokens")
	}
	return t, nil
}

// Enabled reports whether requests must carry a token.
func (t *Tokens) Enabled() bool { return t != nil && len(t.entries) > 0 }

// grant is what a request's token allows.
type grant struct {
	all       bool
	companies []string
}

// allows reports whether the grant covers company.
func (g grant) allows(company string) bool {
	if g.all {
		return true
	}
	for _, c := range g.companies {
		if c == company {
			return true
		}
	}
	return false
}

// only returns the grant's one company when it has exactly one.
func (g grant) only() (string, bool) {
	if g.all || len(g.companies) != 1 {
		return "", false
	}
	return g.companies[0], true
}

// authorize finds the grant of a request's bearer token. Every entry is
// compared in constant time, so timing tells nothing about which tokens
// exist. ok is false for a missing or unknown token.
func (t *Tokens) authorize(r *http.Request) (grant, bool) {
	if !t.Enabled() {
		return grant{all: true}, true
	}
	h := r.Header.Get("Authorization")
	scheme, tok, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return grant{}, false
	}
	given := []byte(strings.TrimSpace(tok))
	var g grant
	ok := false
	for _, e := range t.entries {
		if subtle.ConstantTimeCompare(given, e.token) != 1 {
			continue
		}
		ok = true
		if e.company == "*" {
			g.all = true
		} else {
			g.companies = append(g.companies, e.company)
		}
	}
	return g, ok
}
