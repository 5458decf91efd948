package tui

import "github.com/charmbracelet/lipgloss"

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
	Help                   lipgloss.Style
}

// DefaultStyles returns the browser's colours.
func DefaultStyles() Styles {
	accent := lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#9D8CFF"}
	muted := lipgloss.AdaptiveColor{Light: "#6C6C6C", Dark: "#8A8A8A"}
	green := lipgloss.AdaptiveColor{Light: "#1E7B34", Dark: "#4FD66C"}
	red := lipgloss.AdaptiveColor{Light: "#B3261E", Dark: "#FF6B6B"}
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
	}
}
