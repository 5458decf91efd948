package tui

import (
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/rptctl/rptctl/engine/results"
)

// failuresScreen lists DMARC failure reports (RFC 6591), one row each.
type failuresScreen struct {
	t       *table
	items   []results.Line
	version int
}

var _ screen = (*failuresScreen)(nil)

func newFailuresScreen() *failuresScreen {
	cols := []column{
		{title: "arrived", width: 10},
		{title: "reporter", max: 24, hideBelow: 100},
		{title: "domain", max: 30},
		{title: "source ip", max: 39},
		{title: "service", max: 24, hideBelow: 110},
		{title: "failure", width: 8},
		{title: "mail from", fill: true},
	}
	return &failuresScreen{t: newTable(cols), version: -1}
}

func (s *failuresScreen) crumb() string { return tabNames[4] }

func (s *failuresScreen) list(e *env) *table {
	s.sync(e)
	return s.t
}

func (s *failuresScreen) sync(e *env) {
	if s.version == e.data.Version() {
		return
	}
	s.version = e.data.Version()
	s.items = e.data.SortedFailures()
	rows := make([]row, len(s.items))
	for i := range s.items {
		l := &s.items[i]
		arrived := l.DateBegin
		if l.ArrivalDate != nil {
			arrived = *l.ArrivalDate
		}
		d := arrived.UTC().Format(time.DateOnly)
		service := results.GroupKey(results.ByService, l)
		cells := []string{d, l.OrgName, l.ReportedDomain, l.SourceIP, service,
			l.AuthFailure, l.OriginalMailFrom}
		keys := make([]any, len(cells))
		for j, c := range cells {
			keys[j] = c
		}
		rows[i] = row{cells: cells, keys: keys, failing: true, ref: i}
	}
	s.t.setRows(rows)
}

func (s *failuresScreen) update(e *env, msg tea.Msg) (screen, tea.Cmd) {
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

func (s *failuresScreen) view(e *env, width, height int) string {
	s.sync(e)
	if len(s.t.rows) == 0 {
		return emptyText(e, "No failure reports")
	}
	return s.t.render(e.styles, width, height)
}

func (s *failuresScreen) export(e *env) exportData {
	s.sync(e)
	header := []string{"arrivalDate", "reporter", "reportId", "reportKey", "customer",
		"reportedDomain", "sourceIp", "service", "authFailure", "originalMailFrom",
		"originalRcptTo", "deliveryResult", "dkimDomain", "dkimSelector"}
	items := []results.Line{}
	var rows [][]string
	for _, r := range s.t.visibleRows() {
		l := s.items[r.ref]
		items = append(items, l)
		arrival := ""
		if l.ArrivalDate != nil {
			arrival = stamp(*l.ArrivalDate)
		}
		rows = append(rows, []string{arrival, l.OrgName, l.ReportID, l.ReportKey,
			l.CustomerID, l.ReportedDomain, l.SourceIP,
			results.GroupKey(results.ByService, &l), l.AuthFailure, l.OriginalMailFrom,
			l.OriginalRcptTo, l.DeliveryResult, l.DKIMDomain, l.DKIMSelector})
	}
	return exportData{name: "failures", header: header, rows: rows, json: items}
}
