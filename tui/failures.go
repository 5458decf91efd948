package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/rptctl/rptctl/engine/results"
)

// failuresScreen lists DMARC failure reports (RFC 6591), one row each.
type failuresScreen struct {
	itemList[results.Line]
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
	return &failuresScreen{newItemList(cols, "No failure reports", failureRows)}
}

func failureRows(e *env) ([]results.Line, []row) {
	items := e.data.SortedFailures()
	return items, rowsOf(items, failureRow)
}

func failureRow(l *results.Line, ref int) row {
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
	return row{cells: cells, keys: keys, failing: true, ref: ref}
}

func (s *failuresScreen) crumb() string { return tabNames[4] }

func (s *failuresScreen) update(e *env, msg tea.Msg) (screen, tea.Cmd) {
	return openOnEnter(e, msg, &s.itemList)
}

func (s *failuresScreen) export(e *env) exportData {
	d := exportData{name: "failures", header: []string{"arrivalDate", "reporter", "reportId",
		"reportKey", "customer", "reportedDomain", "sourceIp", "service", "authFailure",
		"originalMailFrom", "originalRcptTo", "deliveryResult", "dkimDomain", "dkimSelector"}}
	return exportOf(d, s.visible(e), func(l *results.Line) []string {
		arrival := ""
		if l.ArrivalDate != nil {
			arrival = stamp(*l.ArrivalDate)
		}
		return []string{arrival, l.OrgName, l.ReportID, l.ReportKey,
			l.CustomerID, l.ReportedDomain, l.SourceIP,
			results.GroupKey(results.ByService, l), l.AuthFailure, l.OriginalMailFrom,
			l.OriginalRcptTo, l.DeliveryResult, l.DKIMDomain, l.DKIMSelector}
	})
}
