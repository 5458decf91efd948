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
	itemList[results.TrendPoint]
	scope results.Scope
	label string
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
	s := &trendScreen{scope: scope, label: label}
	s.itemList = newItemList(cols, "No DMARC aggregate records", s.rows)
	return s
}

func (s *trendScreen) crumb() string { return s.label }

// rows are the days of the trend in scope.
func (s *trendScreen) rows(e *env) ([]results.TrendPoint, []row) {
	points := e.data.Trend(s.scope)
	spikes := results.Spikes(points, e.flags)
	most := mostMessages(points)
	return points, rowsOf(points, func(p *results.TrendPoint, i int) row {
		d := p.Day.Format(time.DateOnly)
		spike := ""
		if spikes[i] {
			spike = "spike"
		}
		vol := 0.0
		if most > 0 {
			vol = float64(p.Messages) / float64(most)
		}
		return row{
			cells: []string{d, strconv.FormatInt(p.Messages, 10), "", "", spike},
			keys:  []any{d, float64(p.Messages), float64(p.Messages), p.PassRate(), spike},
			rate:  p.PassRate(), noRate: p.Messages == 0, vol: vol, ref: i,
			failing: p.Messages > 0 && p.PassRate() < e.flags.WithDefaults().FailBelow,
		}
	})
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
	if len(s.items) == 0 {
		return emptyText(e, s.none)
	}
	n := max(width-12, 1)
	pts := s.items[max(len(s.items)-n, 0):]
	most := mostMessages(pts)
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

// mostMessages is the busiest day's count of messages.
func mostMessages(points []results.TrendPoint) int64 {
	var most int64
	for _, p := range points {
		most = max(most, p.Messages)
	}
	return most
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
	d := exportData{name: "trend", header: []string{"day", "messages", "dmarcPass", "passRate"}}
	return exportOf(d, s.visible(e), func(p *results.TrendPoint) []string {
		return []string{p.Day.Format(time.DateOnly),
			strconv.FormatInt(p.Messages, 10), strconv.FormatInt(p.DMARCPass, 10),
			strings.TrimSuffix(percent(p.PassRate()), "%")}
	})
}
