package tui

import (
	"strconv"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/rptctl/rptctl/engine/results"
)

// tlsScreen lists the policies of SMTP TLS reports (RFC 8460), one row
// per policy, with the share of sessions that succeeded.
type tlsScreen struct {
	itemList[results.Line]
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
	return &tlsScreen{newItemList(cols, "No TLS reports", tlsRows)}
}

func tlsRows(e *env) ([]results.Line, []row) {
	items := e.data.SortedTLS()
	return items, rowsOf(items, tlsRow)
}

func tlsRow(l *results.Line, ref int) row {
	d := l.DateBegin.UTC().Format(time.DateOnly)
	total := l.SuccessfulSessions + l.FailedSessions
	rate := 0.0
	if total > 0 {
		rate = float64(l.SuccessfulSessions) / float64(total)
	}
	cells := []string{d, l.OrgName, l.PolicyDomain, l.PolicyType,
		strconv.FormatInt(total, 10), "", strconv.FormatInt(l.FailedSessions, 10),
		strconv.Itoa(len(l.FailureDetails))}
	return row{
		cells: cells,
		keys: []any{d, l.OrgName, l.PolicyDomain, l.PolicyType, float64(total), rate,
			float64(l.FailedSessions), float64(len(l.FailureDetails))},
		rate:    rate,
		failing: l.FailedSessions > 0,
		ref:     ref,
	}
}

func (s *tlsScreen) crumb() string { return tabNames[3] }

func (s *tlsScreen) update(e *env, msg tea.Msg) (screen, tea.Cmd) {
	return openOnEnter(e, msg, &s.itemList)
}

func (s *tlsScreen) export(e *env) exportData {
	d := exportData{name: "tls", header: []string{"dateBegin", "dateEnd", "reporter",
		"reportId", "reportKey", "customer", "policyType", "policyDomain",
		"successfulSessions", "failedSessions", "failureDetails"}}
	return exportOf(d, s.visible(e), func(l *results.Line) []string {
		return []string{stamp(l.DateBegin), stamp(l.DateEnd), l.OrgName,
			l.ReportID, l.ReportKey, l.CustomerID, l.PolicyType, l.PolicyDomain,
			strconv.FormatInt(l.SuccessfulSessions, 10), strconv.FormatInt(l.FailedSessions, 10),
			strconv.Itoa(len(l.FailureDetails))}
	})
}
