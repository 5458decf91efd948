package tui

import (
	"strconv"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/rptctl/rptctl/engine/results"
)

// tlsScreen lists the policies of SMTP TLS reports (RFC 8460), one row
// per policy, with the share of sessions that succeeded.
type tlsScreen struct {
	t       *table
	items   []results.Line
	version int
}

var _ screen = (*tlsScreen)(nil)

func newTLSScreen() *tlsScreen {
	cols := []column{
		{title: "day", width: 10},
		{title: "reporter", max: 24},
		{title: "policy domain", fill: true},
		{title: "type", width: 8, hideBelow: 100},
		{title: "sessions", width: 8, right: true},
		{title: "success", width: 16, bar: true},
		{title: "failed", width: 8, right: true},
		{title: "details", width: 7, right: true, hideBelow: 110},
	}
	return &tlsScreen{t: newTable(cols), version: -1}
}

func (s *tlsScreen) crumb() string { return tabNames[3] }

func (s *tlsScreen) list(e *env) *table {
	s.sync(e)
	return s.t
}

func (s *tlsScreen) sync(e *env) {
	if s.version == e.data.Version() {
		return
	}
	s.version = e.data.Version()
	s.items = e.data.SortedTLS()
	rows := make([]row, len(s.items))
	for i := range s.items {
		l := &s.items[i]
		d := l.DateBegin.UTC().Format(time.DateOnly)
		total := l.SuccessfulSessions + l.FailedSessions
		rate := 0.0
		if total > 0 {
			rate = float64(l.SuccessfulSessions) / float64(total)
		}
		cells := []string{d, l.OrgName, l.PolicyDomain, l.PolicyType,
			strconv.FormatInt(total, 10), "", strconv.FormatInt(l.FailedSessions, 10),
			strconv.Itoa(len(l.FailureDetails))}
		rows[i] = row{
			cells: cells,
			keys: []any{d, l.OrgName, l.PolicyDomain, l.PolicyType, float64(total), rate,
				float64(l.FailedSessions), float64(len(l.FailureDetails))},
			rate:    rate,
			failing: l.FailedSessions > 0,
			ref:     i,
		}
	}
	s.t.setRows(rows)
}

func (s *tlsScreen) update(e *env, msg tea.Msg) (screen, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok || !key.Matches(k, e.keys.Enter) {
		return nil, nil
	}
	s.sync(e)
	if r, ok := s.t.selected(); ok {
		return openReport(e, &s.items[r.ref])
	}
	return nil, nil
}

func (s *tlsScreen) view(e *env, width, height int) string {
	s.sync(e)
	if len(s.t.rows) == 0 {
		return emptyText(e, "No TLS reports")
	}
	return s.t.render(e.styles, width, height)
}

func (s *tlsScreen) export(e *env) exportData {
	s.sync(e)
	header := []string{"dateBegin", "dateEnd", "reporter", "reportId", "reportKey",
		"customer", "policyType", "policyDomain", "successfulSessions", "failedSessions",
		"failureDetails"}
	items := []results.Line{}
	var rows [][]string
	for _, r := range s.t.visibleRows() {
		l := s.items[r.ref]
		items = append(items, l)
		rows = append(rows, []string{stamp(l.DateBegin), stamp(l.DateEnd), l.OrgName,
			l.ReportID, l.ReportKey, l.CustomerID, l.PolicyType, l.PolicyDomain,
			strconv.FormatInt(l.SuccessfulSessions, 10), strconv.FormatInt(l.FailedSessions, 10),
			strconv.Itoa(len(l.FailureDetails))})
	}
	return exportData{name: "tls", header: header, rows: rows, json: items}
}
