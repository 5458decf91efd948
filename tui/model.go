// Package tui is `rptctl browse`: a terminal browser over stored results,
// built on bubbletea. The root Model only dispatches; each screen (a list
// of sources, records, a report, a trend, TLS and failure reports) lives
// in a file of its own.
package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/rptctl/rptctl/engine/results"
)

// Options configures the browser.
type Options struct {
	Querier  *results.Querier
	Filter   results.Filter
	Lookback time.Duration       // for the new flag; results.DefaultLookback when 0
	Flags    results.FlagOptions // thresholds of the failing and spike flags
	// ExportDir is where exports are written ("." when empty).
	ExportDir string
	// Now stamps export file names (time.Now when nil).
	Now    func() time.Time
	Keys   KeyMap // DefaultKeyMap() when zero
	Styles *Styles
}

// env is what every screen may use.
type env struct {
	ctx    context.Context
	q      *results.Querier
	data   *results.Dataset
	flags  results.FlagOptions
	keys   KeyMap
	styles Styles
	// loading is true until every object of the filter has been read.
	loading bool
}

// screen is one view of the browser. Keys the root does not handle itself
// go to the screen on top of the current tab's stack.
type screen interface {
	// crumb is the screen's part of the breadcrumb.
	crumb() string
	// update handles a message; it may push a screen and return a command.
	update(e *env, msg tea.Msg) (push screen, cmd tea.Cmd)
	// view draws the screen into width x height cells.
	view(e *env, width, height int) string
	// list is the screen's table, up to date with the dataset, for the
	// keys every list shares (moving, sorting, filtering); nil for
	// screens without one.
	list(e *env) *table
	// export is the screen's data for the export keys.
	export(e *env) exportData
}

// The tabs, in order.
var tabNames = []string{"Services", "Hostnames", "IPs", "TLS reports", "Failure reports"}

// Model is the browser's root: it owns the loading, the tabs and their
// drill-down stacks, the status line and help, and passes everything else
// to the screen on top.
type Model struct {
	e    *env
	opts Options

	stacks [][]screen // one stack per tab; [tab][0] is the tab's own screen
	tab    int

	spin      spinner.Model
	input     string // the filter being typed after /
	filtering bool
	help      help.Model
	showHelp  bool

	width, height int

	loading bool
	loadErr error
	events  <-chan loadEvent
	cancel  context.CancelFunc

	status    string
	statusErr bool
}

var _ tea.Model = (*Model)(nil)

// New returns the browser for opts; Init starts loading.
func New(ctx context.Context, opts Options) *Model {
	if opts.Keys.Quit.Keys() == nil {
		opts.Keys = DefaultKeyMap()
	}
	styles := DefaultStyles()
	if opts.Styles != nil {
		styles = *opts.Styles
	}
	if opts.ExportDir == "" {
		opts.ExportDir = "."
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &env{ctx: ctx, q: opts.Querier, flags: opts.Flags, keys: opts.Keys, styles: styles}
	m := &Model{e: e, opts: opts, width: 80, height: 24}
	m.spin = spinner.New(spinner.WithSpinner(spinner.Line))
	m.help = help.New()
	m.help.Styles = helpStyles(styles)
	m.reset()
	return m
}

// reset starts over with an empty dataset and fresh tabs.
func (m *Model) reset() {
	m.e.data = results.NewDataset(m.opts.Filter, m.opts.Lookback)
	m.stacks = [][]screen{
		{newSourcesScreen(results.ByService, nil, tabNames[0])},
		{newSourcesScreen(results.ByHostname, nil, tabNames[1])},
		{newSourcesScreen(results.ByIP, nil, tabNames[2])},
		{newTLSScreen()},
		{newFailuresScreen()},
	}
}

// Init starts loading the results and the spinner.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.startLoad(), m.spin.Tick)
}

// Update dispatches msg: window and loading events, global keys, and
// everything else to the screen on top.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case loadMsg:
		return m, m.onLoad(msg)
	case reportMsg:
		msg.target.setReport(msg)
		return m, nil
	case spinner.TickMsg:
		if !m.loading {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tea.KeyMsg:
		return m.onKey(msg)
	}
	return m, m.toTop(msg)
}

// toTop passes msg to the screen on top, pushing what it opens.
func (m *Model) toTop(msg tea.Msg) tea.Cmd {
	push, cmd := m.top().update(m.e, msg)
	if push != nil {
		m.stacks[m.tab] = append(m.stacks[m.tab], push)
	}
	return cmd
}

func (m *Model) top() screen {
	s := m.stacks[m.tab]
	return s[len(s)-1]
}

func (m *Model) onKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.e.keys
	if m.filtering {
		return m, m.onFilterKey(msg)
	}
	if msg.String() == "ctrl+c" {
		return m, m.quit()
	}
	if m.showHelp {
		if key.Matches(msg, k.Help, k.Back) {
			m.showHelp = false
		} else if key.Matches(msg, k.Quit) {
			return m, m.quit()
		}
		return m, nil
	}
	m.status = ""
	switch {
	case key.Matches(msg, k.Quit):
		return m, m.quit()
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.NextTab):
		m.tab = (m.tab + 1) % len(m.stacks)
	case key.Matches(msg, k.PrevTab):
		m.tab = (m.tab + len(m.stacks) - 1) % len(m.stacks)
	case key.Matches(msg, k.Back):
		if s := m.stacks[m.tab]; len(s) > 1 {
			m.stacks[m.tab] = s[:len(s)-1]
		}
	case key.Matches(msg, k.Reload):
		return m, m.reload()
	case key.Matches(msg, k.ExportCSV):
		m.exportView(false)
	case key.Matches(msg, k.ExportJSON):
		m.exportView(true)
	case key.Matches(msg, k.TrendAll):
		trend := newTrendScreen(nil, m.allLabel())
		trend.all = m.opts.Filter.Domain == ""
		m.stacks[m.tab] = append(m.stacks[m.tab], trend)
	default:
		if t := m.top().list(m.e); t != nil && m.onListKey(t, msg) {
			return m, nil
		}
		return m, m.toTop(msg)
	}
	return m, nil
}

// onListKey handles the keys every list shares; it reports whether msg
// was one of them.
func (m *Model) onListKey(t *table, msg tea.KeyMsg) bool {
	k := m.e.keys
	t.width = m.width
	page := max(m.contentHeight()-2, 1)
	switch {
	case key.Matches(msg, k.Up):
		t.move(-1)
	case key.Matches(msg, k.Down):
		t.move(1)
	case key.Matches(msg, k.PageUp):
		t.move(-page)
	case key.Matches(msg, k.PageDown):
		t.move(page)
	case key.Matches(msg, k.Top):
		t.move(-len(t.view))
	case key.Matches(msg, k.Bottom):
		t.move(len(t.view))
	case key.Matches(msg, k.SortNext):
		t.sortNext()
	case key.Matches(msg, k.SortRev):
		t.reverse()
	case key.Matches(msg, k.Failing):
		t.toggleFailing()
	case key.Matches(msg, k.Filter):
		m.filtering = true
		m.input = t.filter
	default:
		return false
	}
	return true
}

// onFilterKey edits the filter of the list on top; the rows follow as
// the text is typed. Enter keeps the filter, esc drops it. (A line editor
// of our own: bubbles' textinput pulls in a clipboard module for paste.)
func (m *Model) onFilterKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEnter:
		m.filtering = false
		return nil
	case tea.KeyEsc:
		m.filtering = false
		m.input = ""
	case tea.KeyCtrlC:
		return m.quit()
	case tea.KeyBackspace:
		if r := []rune(m.input); len(r) > 0 {
			m.input = string(r[:len(r)-1])
		}
	case tea.KeyCtrlU:
		m.input = ""
	case tea.KeySpace:
		m.input += " "
	case tea.KeyRunes:
		m.input += string(msg.Runes)
	default:
		return nil
	}
	if t := m.top().list(m.e); t != nil {
		t.setFilter(m.input)
	}
	return nil
}

func (m *Model) quit() tea.Cmd {
	if m.cancel != nil {
		m.cancel()
	}
	return tea.Quit
}

// allLabel names the whole dataset in a breadcrumb.
func (m *Model) allLabel() string {
	if m.opts.Filter.Domain != "" {
		return "trend of " + strings.ToLower(m.opts.Filter.Domain)
	}
	return "trend of " + m.opts.Filter.Company
}

// flagsText explains the flags with the thresholds in effect.
func (m *Model) flagsText() string {
	o := m.e.flags.WithDefaults()
	lookback := m.opts.Lookback
	if lookback <= 0 {
		lookback = results.DefaultLookback
	}
	return fmt.Sprintf("Flags: new = first seen in the period (none in the %d days "+
		"before it); failing = DMARC pass rate under %s; spike = a day above %gx the "+
		"median of the source's other days, with at least %d messages.",
		int(lookback.Hours()/24), percent(o.FailBelow), o.SpikeFactor, o.SpikeMin)
}

// contentHeight is what is left for the screen: the title, tab and
// breadcrumb lines above, the status and key-hint lines below.
func (m *Model) contentHeight() int { return max(m.height-5, 1) }

// View draws the browser.
func (m *Model) View() string {
	h := m.contentHeight()
	var body string
	switch {
	case m.showHelp:
		body = m.help.FullHelpView(m.e.keys.FullHelp()) + "\n\n" +
			m.e.styles.Muted.Render(ansi.Wrap(m.flagsText(), m.width, " "))
	case m.loadErr != nil && len(m.e.data.Aggregate)+len(m.e.data.Empty)+
		len(m.e.data.TLS)+len(m.e.data.Failures) == 0:
		text := ansi.Wrap("Could not read the results: "+m.loadErr.Error(), m.width, " /")
		body = m.e.styles.Error.Render(text) + "\n\n" +
			m.e.styles.Muted.Render("Press r to try again, q to quit.")
	default:
		body = m.top().view(m.e, m.width, h)
	}
	lines := []string{m.titleLine(), m.tabLine(), m.crumbLine()}
	lines = append(lines, fit(body, h)...)
	lines = append(lines, m.statusLine(), m.hintLine())
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, m.width, "…")
	}
	return strings.Join(lines, "\n")
}

// fit cuts or pads s to exactly h lines.
func fit(s string, h int) []string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return lines
}
