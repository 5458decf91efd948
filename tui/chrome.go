package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/rptctl/rptctl/engine/results"
)

// titleLine says what is being browsed: company, customer, domain and
// period.
func (m *Model) titleLine() string {
	f := m.opts.Filter
	parts := []string{"company " + f.Company}
	if f.Customer != "" {
		parts = append(parts, "customer "+f.Customer)
	} else {
		parts = append(parts, "all customers")
	}
	if f.Domain != "" {
		parts = append(parts, "domain "+strings.ToLower(f.Domain))
	}
	parts = append(parts, periodText(f.From, f.To))
	s := m.e.styles
	return s.Title.Render("rptctl browse") + "  " + s.Filters.Render(strings.Join(parts, " · "))
}

func periodText(from, to time.Time) string {
	const layout = "2006-01-02 15:04"
	show := func(t time.Time) string {
		if t.Equal(t.Truncate(24 * time.Hour)) {
			return t.UTC().Format(time.DateOnly)
		}
		return t.UTC().Format(layout)
	}
	switch {
	case from.IsZero() && to.IsZero():
		return "all time"
	case to.IsZero():
		return "since " + show(from)
	case from.IsZero():
		return "before " + show(to)
	}
	return show(from) + " to " + show(to.Add(-time.Nanosecond).Truncate(24*time.Hour))
}

// tabLine shows the tabs, the current one in brackets so it shows
// without colour too.
func (m *Model) tabLine() string {
	s := m.e.styles
	parts := make([]string, len(tabNames))
	for i, name := range tabNames {
		if i == m.tab {
			parts[i] = s.ActiveTab.Render("[" + name + "]")
		} else {
			parts[i] = s.Tab.Render(" " + name + " ")
		}
	}
	return strings.Join(parts, " ")
}

// crumbLine is where the user is: the tab, then each drill-down step.
func (m *Model) crumbLine() string {
	s := m.e.styles
	stack := m.stacks[m.tab]
	parts := make([]string, len(stack))
	for i, sc := range stack {
		parts[i] = s.Crumb.Render(sc.crumb())
	}
	if m.showHelp {
		parts = append(parts, s.Crumb.Render("help"))
	}
	return strings.Join(parts, s.CrumbSep.Render(" › "))
}

// statusLine shows the filter being typed, loading progress, the last
// error or the last message, in that order of precedence.
func (m *Model) statusLine() string {
	s := m.e.styles
	if m.showHelp {
		return s.Status.Render("? or esc closes the help")
	}
	if m.filtering {
		return "/ " + m.input + "█" + s.Muted.Render("  enter keeps the filter, esc clears it")
	}
	var parts []string
	switch {
	case m.loading:
		p := m.e.data.Progress
		parts = append(parts, fmt.Sprintf("%s loading results: %d of %d objects",
			m.spin.View(), p.Done, p.Total))
	case m.loadErr != nil:
		parts = append(parts, s.Error.Render("error: could not read every result; r reloads"))
	}
	if p := m.e.data.Progress; p.Skipped > 0 {
		parts = append(parts, s.Error.Render(fmt.Sprintf("%d objects skipped: %v",
			p.Skipped, p.LastErr)))
	}
	if m.status != "" {
		st := s.Success
		if m.statusErr {
			st = s.Error
		}
		parts = append(parts, st.Render(m.status))
	}
	if t := m.top().list(m.e); t != nil && len(parts) == 0 {
		parts = append(parts, s.Status.Render(listState(t)))
	}
	return strings.Join(parts, "  ")
}

// listState summarises a list: how many rows, the filter and toggle.
func listState(t *table) string {
	text := fmt.Sprintf("%d of %d rows", len(t.view), len(t.rows))
	if t.filter != "" {
		text += fmt.Sprintf(" · filter %q", t.filter)
	}
	if t.failingOnly {
		text += " · failing only"
	}
	return text
}

// hintLine is the key-hint bar.
func (m *Model) hintLine() string {
	m.help.Width = m.width
	return m.help.ShortHelpView(m.e.keys.ShortHelp())
}

// percent formats a rate as the tables show it.
func percent(rate float64) string { return results.Percent(rate) }
