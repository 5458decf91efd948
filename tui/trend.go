package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/rptctl/rptctl/engine/results"
)

// trendScreen charts messages and DMARC pass rate per day, for the whole
// filter (company or domain) or one source: two sparklines over the
// period, then a row per day with a volume bar and a pass-rate bar.
type trendScreen struct {
	scope   results.Scope
	label   string
	t       *table
	points  []results.TrendPoint
	version int
	// all marks the trend of the whole company, which d narrows to one
	// header-from domain after the other.
	all     bool
	allText string
	domain  int // 0: every domain; i: the i-th of domains
	domains []string
}

var _ screen = (*trendScreen)(nil)

// sparks are the eight heights of a sparkline.
var sparks = []rune("▁▂▃▄▅▆▇█")

// chartLines is the height of the sparklines above the table.
const chartLines = 3

func newTrendScreen(scope results.Scope, label string) *trendScreen {
	cols := []column{
		{title: "day", width: 10},
		{title: "messages", width: 9, right: true},
		{title: "volume", volume: true, fill: true},
		{title: "pass rate", width: 18, bar: true},
		{title: "spike", width: 5},
	}
	return &trendScreen{scope: scope, label: label, t: newTable(cols), version: -1}
}

func (s *trendScreen) crumb() string { return s.label }

func (s *trendScreen) list(e *env) *table {
	s.sync(e)
	return s.t
}

func (s *trendScreen) sync(e *env) {
	if s.version == e.data.Version() {
		return
	}
	s.version = e.data.Version()
	s.points = e.data.Trend(s.scope)
	spikes := results.Spikes(s.points, e.flags)
	var most int64
	for _, p := range s.points {
		most = max(most, p.Messages)
	}
	rows := make([]row, len(s.points))
	for i, p := range s.points {
		d := p.Day.Format(time.DateOnly)
		spike := ""
		if spikes[i] {
			spike = "spike"
		}
		vol := 0.0
		if most > 0 {
			vol = float64(p.Messages) / float64(most)
		}
		rows[i] = row{
			cells: []string{d, strconv.FormatInt(p.Messages, 10), "", "", spike},
			keys:  []any{d, float64(p.Messages), float64(p.Messages), p.PassRate(), spike},
			rate:  p.PassRate(), noRate: p.Messages == 0, vol: vol, ref: i,
			failing: p.Messages > 0 && p.PassRate() < e.flags.WithDefaults().FailBelow,
		}
	}
	s.t.setRows(rows)
}

func (s *trendScreen) update(e *env, msg tea.Msg) (screen, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok || !s.all || !key.Matches(k, e.keys.Domain) {
		return nil, nil
	}
	if s.domain == 0 {
		s.domains, s.allText = e.data.Domains(), s.label
	}
	s.domain = (s.domain + 1) % (len(s.domains) + 1)
	s.scope, s.label = nil, s.allText
	if s.domain > 0 {
		d := s.domains[s.domain-1]
		s.scope = results.Scope{{By: results.ByDomain, Key: d}}
		s.label = "trend of " + d
	}
	s.version = -1
	return nil, nil
}

func (s *trendScreen) view(e *env, width, height int) string {
	s.sync(e)
	if len(s.points) == 0 {
		return emptyText(e, "No DMARC aggregate records")
	}
	n := max(width-12, 1)
	pts := s.points[max(len(s.points)-n, 0):]
	var most int64
	for _, p := range pts {
		most = max(most, p.Messages)
	}
	vol, rate := make([]rune, len(pts)), make([]rune, len(pts))
	for i, p := range pts {
		vol[i] = spark(float64(p.Messages), float64(most))
		rate[i] = ' '
		if p.Messages > 0 {
			rate[i] = spark(p.PassRate(), 1)
		}
	}
	m := e.styles.Muted
	chart := m.Render("messages  ") + string(vol) + "\n" +
		m.Render("pass rate ") + e.styles.BarPass.Render(string(rate)) + "\n" +
		m.Render("          "+pts[0].Day.Format(time.DateOnly)+" to "+
			pts[len(pts)-1].Day.Format(time.DateOnly))
	return chart + "\n" + s.t.render(e.styles, width, height-chartLines)
}

// spark picks the sparkline rune for v out of most.
func spark(v, most float64) rune {
	if most <= 0 || v <= 0 {
		return sparks[0]
	}
	i := int(v / most * float64(len(sparks)-1))
	return sparks[min(max(i, 0), len(sparks)-1)]
}

func (s *trendScreen) export(e *env) exportData {
	s.sync(e)
	header := []string{"day", "messages", "dmarcPass", "passRate"}
	var rows [][]string
	points := []results.TrendPoint{}
	for _, r := range s.t.visibleRows() {
		p := s.points[r.ref]
		points = append(points, p)
		rows = append(rows, []string{p.Day.Format(time.DateOnly),
			strconv.FormatInt(p.Messages, 10), strconv.FormatInt(p.DMARCPass, 10),
			strings.TrimSuffix(percent(p.PassRate()), "%")})
	}
	return exportData{name: "trend", header: header, rows: rows, json: points}
}
