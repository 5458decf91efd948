package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
)

// Styles is how the browser looks. Under NO_COLOR (or any terminal
// without colour) lipgloss drops the colours and attributes; the screens
// never rely on them alone: the selected row has a marker, bars are
// drawn with characters.
type Styles struct {
	Title, Filters         lipgloss.Style
	Tab, ActiveTab         lipgloss.Style
	Crumb, CrumbSep        lipgloss.Style
	Header, Row, Selected  lipgloss.Style
	BarPass, BarFail       lipgloss.Style
	Flag, Muted            lipgloss.Style
	Status, Error, Success lipgloss.Style
	Help, HelpKey          lipgloss.Style
}

// DefaultStyles returns the browser's colours: the terminal's own ANSI
// colours, which its theme already fits to a light or dark background.
// (Adaptive colours would make lipgloss ask the terminal for its
// background, and a terminal that never answers stalls the start.)
func DefaultStyles() Styles {
	accent := lipgloss.Color("5") // magenta
	muted := lipgloss.Color("8")  // bright black: grey
	green := lipgloss.Color("2")
	red := lipgloss.Color("1")
	return Styles{
		Title:     lipgloss.NewStyle().Bold(true).Foreground(accent),
		Filters:   lipgloss.NewStyle().Foreground(muted),
		Tab:       lipgloss.NewStyle().Foreground(muted),
		ActiveTab: lipgloss.NewStyle().Bold(true).Underline(true).Foreground(accent),
		Crumb:     lipgloss.NewStyle().Foreground(accent),
		CrumbSep:  lipgloss.NewStyle().Foreground(muted),
		Header:    lipgloss.NewStyle().Bold(true),
		Row:       lipgloss.NewStyle(),
		Selected:  lipgloss.NewStyle().Reverse(true),
		BarPass:   lipgloss.NewStyle().Foreground(green),
		BarFail:   lipgloss.NewStyle().Foreground(red),
		Flag:      lipgloss.NewStyle().Foreground(red).Bold(true),
		Muted:     lipgloss.NewStyle().Foreground(muted),
		Status:    lipgloss.NewStyle().Foreground(muted),
		Error:     lipgloss.NewStyle().Foreground(red).Bold(true),
		Success:   lipgloss.NewStyle().Foreground(green),
		Help:      lipgloss.NewStyle().Foreground(muted),
		HelpKey:   lipgloss.NewStyle().Bold(true),
	}
}

// helpStyles styles the key hints and help screen with s, replacing
// bubbles' defaults, whose adaptive colours would query the terminal.
func helpStyles(s Styles) help.Styles {
	return help.Styles{
		Ellipsis:       s.Help,
		ShortKey:       s.HelpKey,
		ShortDesc:      s.Help,
		ShortSeparator: s.Help,
		FullKey:        s.HelpKey,
		FullDesc:       s.Help,
		FullSeparator:  s.Help,
	}
}
