package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/rptctl/rptctl/engine/results"
)

// sourcesScreen lists sources grouped by service, hostname or IP, within
// a drill-down scope: a service's hostnames, a hostname's IPs.
type sourcesScreen struct {
	itemList[results.SourceRow]
	by    results.Grouping
	scope results.Scope
	label string
}

var _ screen = (*sourcesScreen)(nil)

func newSourcesScreen(by results.Grouping, scope results.Scope, label string) *sourcesScreen {
	s := &sourcesScreen{by: by, scope: scope, label: label}
	s.itemList = newItemList(sourceColumns(by), "No DMARC aggregate records", s.rows)
	return s
}

func sourceColumns(by results.Grouping) []column {
	key := column{title: string(by), fill: true}
	if by == results.ByIP {
		key.max = 39 // the longest IPv6 address, 8 groups of 4 and 7 colons
	}
	cols := []column{key}
	switch by {
	case results.ByService:
		cols = append(cols, column{title: "type", max: 12, hideBelow: 110})
	case results.ByHostname:
		cols = append(cols, column{title: "service", max: 24, hideBelow: 100})
	case results.ByIP:
		cols = append(cols, column{title: "hostname", max: 40, hideBelow: 100},
			column{title: "service", max: 24, hideBelow: 130})
	}
	return append(cols,
		column{title: "messages", width: 9, right: true},
		column{title: "pass rate", width: 18, min: 12, bar: true},
		column{title: "fail", width: 8, right: true, hideBelow: 90},
		column{title: "dkim ok", width: 8, right: true, hideBelow: 140},
		column{title: "spf ok", width: 8, right: true, hideBelow: 140},
		column{title: "reports", width: 7, right: true, hideBelow: 100},
		column{title: "last seen", width: 10, hideBelow: 120},
		column{title: "flags", max: 17, min: 17}, // "new failing spike"
	)
}

func (s *sourcesScreen) crumb() string { return s.label }

// rows groups the records in scope.
func (s *sourcesScreen) rows(e *env) ([]results.SourceRow, []row) {
	items := e.data.Sources(s.by, s.scope, e.flags)
	return items, rowsOf(items, func(r *results.SourceRow, ref int) row {
		return sourceRow(s.by, r, ref)
	})
}

func sourceRow(by results.Grouping, r *results.SourceRow, ref int) row {
	cells := []string{r.Key}
	keys := []any{r.Key}
	switch by {
	case results.ByService:
		cells, keys = append(cells, r.ServiceType), append(keys, r.ServiceType)
	case results.ByHostname:
		cells, keys = append(cells, r.Service), append(keys, r.Service)
	case results.ByIP:
		cells = append(cells, r.Hostname, r.Service)
		keys = append(keys, r.Hostname, r.Service)
	}
	num := func(n int64) (string, any) { return strconv.FormatInt(n, 10), float64(n) }
	for _, n := range []int64{r.Messages, -1, r.DMARCFail, r.DKIMAligned, r.SPFAligned,
		int64(r.Reports)} {
		if n == -1 {
			cells, keys = append(cells, ""), append(keys, r.PassRate())
			continue
		}
		c, k := num(n)
		cells, keys = append(cells, c), append(keys, k)
	}
	last := r.LastSeen.UTC().Format(time.DateOnly)
	flags := strings.Join(r.Flags, " ")
	return row{
		cells:   append(cells, last, flags),
		keys:    append(keys, last, flags),
		rate:    r.PassRate(),
		failing: r.HasFlag(results.FlagFailing),
		ref:     ref,
	}
}

func (s *sourcesScreen) update(e *env, msg tea.Msg) (screen, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil, nil
	}
	item, ok := s.selected(e)
	if !ok {
		return nil, nil
	}
	scope := append(append(results.Scope{}, s.scope...),
		results.Selection{By: s.by, Key: item.Key})
	switch {
	case key.Matches(k, e.keys.Enter):
		switch s.by {
		case results.ByService:
			return newSourcesScreen(results.ByHostname, scope, item.Key), nil
		case results.ByHostname:
			return newSourcesScreen(results.ByIP, scope, item.Key), nil
		default:
			return newRecordsScreen(scope, item.Key), nil
		}
	case key.Matches(k, e.keys.Trend):
		return newTrendScreen(scope, "trend of "+item.Key), nil
	}
	return nil, nil
}

func (s *sourcesScreen) export(e *env) exportData {
	items := s.visible(e)
	header, rows := results.Table(s.by, items, false)
	return exportData{name: string(s.by), header: header, rows: rows, json: items}
}
