package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/rptctl/rptctl/engine/results"
)

// recordsScreen lists the aggregate records of one source, with the
// selected record's identifiers and results spelled out below the list.
type recordsScreen struct {
	scope   results.Scope
	label   string
	t       *table
	items   []results.Line
	version int
}

var _ screen = (*recordsScreen)(nil)

// detailLines is the height of the pane under the list.
const detailLines = 6

func newRecordsScreen(scope results.Scope, label string) *recordsScreen {
	cols := []column{
		{title: "day", width: 10},
		{title: "reporter", max: 24, hideBelow: 100},
		{title: "ip", max: 39, hideBelow: 120},
		{title: "count", width: 7, right: true},
		{title: "dmarc", width: 5},
		{title: "dkim/spf", width: 9},
		{title: "disposition", width: 11},
		{title: "header from", fill: true},
	}
	return &recordsScreen{scope: scope, label: label, t: newTable(cols), version: -1}
}

func (s *recordsScreen) crumb() string { return s.label }

func (s *recordsScreen) list(e *env) *table {
	s.sync(e)
	return s.t
}

func (s *recordsScreen) sync(e *env) {
	if s.version == e.data.Version() {
		return
	}
	s.version = e.data.Version()
	s.items = e.data.Records(s.scope)
	rows := make([]row, len(s.items))
	for i := range s.items {
		l := &s.items[i]
		d := l.DateBegin.UTC().Format(time.DateOnly)
		results := l.DKIM + "/" + l.SPF
		cells := []string{d, l.OrgName, l.SourceIP, strconv.FormatInt(l.Count, 10), l.DMARC,
			results, l.Disposition, l.HeaderFrom}
		rows[i] = row{
			cells: cells,
			keys: []any{d, l.OrgName, l.SourceIP, float64(l.Count), l.DMARC, results,
				l.Disposition, l.HeaderFrom},
			failing: l.DMARC != "pass",
			ref:     i,
		}
	}
	s.t.setRows(rows)
}

func (s *recordsScreen) update(e *env, msg tea.Msg) (screen, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil, nil
	}
	s.sync(e)
	r, ok := s.t.selected()
	if !ok {
		return nil, nil
	}
	l := s.items[r.ref]
	switch {
	case key.Matches(k, e.keys.Enter):
		return openReport(e, &l)
	case key.Matches(k, e.keys.Trend):
		return newTrendScreen(s.scope, "trend of "+s.label), nil
	}
	return nil, nil
}

func (s *recordsScreen) view(e *env, width, height int) string {
	s.sync(e)
	if len(s.t.rows) == 0 {
		return emptyText(e, "No records")
	}
	list := s.t.render(e.styles, width, max(height-detailLines-1, 2))
	r, ok := s.t.selected()
	if !ok {
		return list
	}
	return list + "\n\n" + recordDetail(e, &s.items[r.ref])
}

// recordDetail spells out one record: identifiers, authentication
// results, override reasons and who reported it.
func recordDetail(e *env, l *results.Line) string {
	m := e.styles.Muted
	var dkim, spf, reasons []string
	for _, d := range l.DKIMResults {
		dkim = append(dkim, fmt.Sprintf("%s s=%s %s", d.Domain, d.Selector, d.Result))
	}
	for _, s := range l.SPFResults {
		spf = append(spf, fmt.Sprintf("%s (%s) %s", s.Domain, cmpOr(s.Scope, "mfrom"),
			s.Result))
	}
	for _, r := range l.Reasons {
		reasons = append(reasons, strings.TrimSpace(r.Type+" "+r.Comment))
	}
	lines := []string{
		m.Render("from   ") + "header " + cmpOr(l.HeaderFrom, "-") + "  envelope " +
			cmpOr(l.EnvelopeFrom, "-") + "  to " + cmpOr(l.EnvelopeTo, "-"),
		m.Render("dkim   ") + "policy " + l.DKIM + "  " + cmpOr(strings.Join(dkim, ", "), "-"),
		m.Render("spf    ") + "policy " + l.SPF + "  " + cmpOr(strings.Join(spf, ", "), "-"),
		m.Render("reason ") + cmpOr(strings.Join(reasons, "; "), "-"),
		m.Render("report ") + l.OrgName + " · " + l.ReportID + " · customer " + l.CustomerID,
	}
	return strings.Join(lines, "\n")
}

func cmpOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func (s *recordsScreen) export(e *env) exportData {
	s.sync(e)
	header := []string{"dateBegin", "dateEnd", "reporter", "reportId", "reportKey",
		"customer", "sourceIp", "count", "dmarc", "dkim", "spf", "disposition",
		"headerFrom", "envelopeFrom", "envelopeTo", "dkimResults", "spfResults", "reasons"}
	items := []results.Line{}
	var rows [][]string
	for _, r := range s.t.visibleRows() {
		l := s.items[r.ref]
		items = append(items, l)
		rows = append(rows, recordCells(&l))
	}
	return exportData{name: "records", header: header, rows: rows, json: items}
}

func recordCells(l *results.Line) []string {
	var dkim, spf, reasons []string
	for _, d := range l.DKIMResults {
		dkim = append(dkim, d.Domain+"/"+d.Selector+"="+d.Result)
	}
	for _, s := range l.SPFResults {
		spf = append(spf, s.Domain+"/"+s.Scope+"="+s.Result)
	}
	for _, r := range l.Reasons {
		reasons = append(reasons, r.Type+": "+r.Comment)
	}
	return []string{l.DateBegin.UTC().Format(time.RFC3339), l.DateEnd.UTC().Format(time.RFC3339),
		l.OrgName, l.ReportID, l.ReportKey, l.CustomerID, l.SourceIP,
		strconv.FormatInt(l.Count, 10), l.DMARC, l.DKIM, l.SPF, l.Disposition, l.HeaderFrom,
		l.EnvelopeFrom, l.EnvelopeTo, strings.Join(dkim, " "), strings.Join(spf, " "),
		strings.Join(reasons, "; ")}
}
