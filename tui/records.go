package tui

import (
	"cmp"
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
	itemList[results.Line]
	scope results.Scope
	label string
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
	s := &recordsScreen{scope: scope, label: label}
	s.itemList = newItemList(cols, "No records", s.rows)
	return s
}

func (s *recordsScreen) rows(e *env) ([]results.Line, []row) {
	items := e.data.Records(s.scope)
	return items, rowsOf(items, recordRow)
}

func recordRow(l *results.Line, ref int) row {
	d := l.DateBegin.UTC().Format(time.DateOnly)
	results := l.DKIM + "/" + l.SPF
	cells := []string{d, l.OrgName, l.SourceIP, strconv.FormatInt(l.Count, 10), l.DMARC,
		results, l.Disposition, l.HeaderFrom}
	return row{
		cells: cells,
		keys: []any{d, l.OrgName, l.SourceIP, float64(l.Count), l.DMARC, results,
			l.Disposition, l.HeaderFrom},
		failing: l.DMARC != "pass",
		ref:     ref,
	}
}

func (s *recordsScreen) crumb() string { return s.label }

func (s *recordsScreen) update(e *env, msg tea.Msg) (screen, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil, nil
	}
	l, ok := s.selected(e)
	if !ok {
		return nil, nil
	}
	switch {
	case key.Matches(k, e.keys.Enter):
		return openReport(e, l)
	case key.Matches(k, e.keys.Trend):
		return newTrendScreen(s.scope, "trend of "+s.label), nil
	}
	return nil, nil
}

// view draws the list and, below it, the selected record's detail.
func (s *recordsScreen) view(e *env, width, height int) string {
	list := s.itemList.view(e, width, max(height-detailLines-1, 2))
	l, ok := s.selected(e)
	if !ok {
		return list
	}
	return list + "\n\n" + recordDetail(e, l)
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
		spf = append(spf, fmt.Sprintf("%s (%s) %s", s.Domain, cmp.Or(s.Scope, "mfrom"),
			s.Result))
	}
	for _, r := range l.Reasons {
		reasons = append(reasons, strings.TrimSpace(r.Type+" "+r.Comment))
	}
	lines := []string{
		m.Render("from   ") + "header " + cmp.Or(l.HeaderFrom, "-") + "  envelope " +
			cmp.Or(l.EnvelopeFrom, "-") + "  to " + cmp.Or(l.EnvelopeTo, "-"),
		m.Render("dkim   ") + "policy " + l.DKIM + "  " + cmp.Or(strings.Join(dkim, ", "), "-"),
		m.Render("spf    ") + "policy " + l.SPF + "  " + cmp.Or(strings.Join(spf, ", "), "-"),
		m.Render("reason ") + cmp.Or(strings.Join(reasons, "; "), "-"),
		m.Render("report ") + l.OrgName + " · " + l.ReportID + " · customer " + l.CustomerID,
	}
	return strings.Join(lines, "\n")
}

// recordHeader is the CSV header of exported records, one column per
// field of recordCells.
var recordHeader = []string{"dateBegin", "dateEnd", "reporter", "reportId", "reportKey",
	"customer", "sourceIp", "count", "dmarc", "dkim", "spf", "disposition",
	"headerFrom", "envelopeFrom", "envelopeTo", "dkimResults", "spfResults", "reasons"}

func (s *recordsScreen) export(e *env) exportData {
	d := exportData{name: "records", header: recordHeader}
	return exportOf(d, s.visible(e), recordCells)
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
