package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key the browser answers to.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding

	NextTab, PrevTab key.Binding
	Enter, Back      key.Binding

	Filter, Failing   key.Binding
	SortNext, SortRev key.Binding

	Trend, TrendAll, Domain key.Binding

	ExportCSV, ExportJSON key.Binding

	Reload, Help, Quit key.Binding
}

// DefaultKeyMap returns the browser's keys.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:       b("↑/k", "up", "up", "k"),
		Down:     b("↓/j", "down", "down", "j"),
		PageUp:   b("pgup", "page up", "pgup", "ctrl+u"),
		PageDown: b("pgdn", "page down", "pgdown", "ctrl+d"),
		Top:      b("g", "top", "home", "g"),
		Bottom:   b("G", "bottom", "end", "G"),

		NextTab: b("tab", "tabs", "tab", "right", "l"),
		PrevTab: b("shift+tab", "previous tab", "shift+tab", "left", "h"),
		Enter:   b("enter", "open", "enter"),
		Back:    b("esc", "back", "esc", "backspace"),

		Filter:   b("/", "filter", "/"),
		Failing:  b("f", "failing", "f"),
		SortNext: b("s", "sort", "s"),
		SortRev:  b("S", "reverse sort", "S"),

		Trend:    b("t", "trend", "t"),
		TrendAll: b("T", "trend of all", "T"),
		Domain:   b("d", "trend by domain", "d"),

		ExportCSV:  b("e", "export CSV", "e"),
		ExportJSON: b("E", "export JSON", "E"),

		Reload: b("r", "reload", "r"),
		Help:   b("?", "help", "?"),
		Quit:   b("q", "quit", "q", "ctrl+c"),
	}
}

// ShortHelp is the key-hint bar, most needed first: at 80 columns the
// last ones give way, and ? leads to the rest.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.Enter, k.Back, k.NextTab, k.Filter, k.SortNext,
		k.Failing, k.Trend, k.ExportCSV, k.Quit}
}

// FullHelp is the `?` screen, in columns that fit 80 cells.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.NextTab, k.PrevTab},
		{k.Enter, k.Back, k.Filter, k.Failing, k.SortNext, k.SortRev, k.Reload},
		{k.Trend, k.TrendAll, k.Domain, k.ExportCSV, k.ExportJSON, k.Help, k.Quit},
	}
}
