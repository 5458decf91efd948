package tui

import (
	"sort"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// column is one column of a table.
type column struct {
	title string
	// width is a fixed width; 0 sizes the column by its widest cell (and
	// title), up to max when max is set.
	width int
	max   int
	// min lets a fixed-width column (a bar) shrink to min when the
	// line is too long; a content-sized column is not shrunk below min
	// (or its natural width when narrower; minColumn when min is 0).
	min int
	// fill gives a content-sized column the room the others leave.
	fill      bool
	right     bool // numbers align right
	bar       bool // the cell is a pass-rate bar drawn from row.rate
	volume    bool // the cell is a bar as long as row.vol (0 to 1) says
	hideBelow int  // dropped when the screen is narrower than this
}

// row is one line of a table: its cells as text, the values it sorts by
// (float64 or string, one per column) and, for bar columns, a rate.
type row struct {
	cells   []string
	keys    []any
	rate    float64
	noRate  bool // nothing to rate (a day without mail): the bar is left blank
	vol     float64
	failing bool
	ref     int // index of the item behind the row, in its screen
}

// table shows rows with a cursor, sorting, a text filter and a
// failing-only toggle. It is the body of every list screen.
type table struct {
	cols        []column
	rows        []row
	view        []int // indices into rows, filtered and sorted
	cursor      int   // index into view
	offset      int   // first visible index into view
	sortCol     int   // -1: the rows' own order
	desc        bool
	filter      string
	failingOnly bool
	width       int   // of the last render, to sort only by columns shown
	natural     []int // per column, the width of its widest cell or title
}

// minColumn is the narrowest a content-sized column is shrunk to: enough
// for a few characters and the ellipsis.
const minColumn = 6

func newTable(cols []column) *table {
	return &table{cols: cols, sortCol: -1}
}

// setRows replaces the rows, keeping the cursor on the same item when it
// is still there.
func (t *table) setRows(rows []row) {
	ref := -1
	if r, ok := t.selected(); ok {
		ref = r.ref
	}
	t.rows = rows
	t.measure()
	t.apply()
	for i, v := range t.view {
		if t.rows[v].ref == ref {
			t.cursor = i
			return
		}
	}
	t.cursor = min(t.cursor, max(len(t.view)-1, 0))
}

// measure finds each column's natural width: its title (with room for
// the sort arrow) and its widest cell.
func (t *table) measure() {
	t.natural = make([]int, len(t.cols))
	for i, c := range t.cols {
		t.natural[i] = ansi.StringWidth(c.title) + 1
	}
	for _, r := range t.rows {
		for i := range t.cols {
			if i < len(r.cells) {
				t.natural[i] = max(t.natural[i], ansi.StringWidth(r.cells[i]))
			}
		}
	}
}

// apply recomputes the view from filter, toggle and sort.
func (t *table) apply() {
	t.view = t.view[:0]
	needle := strings.ToLower(t.filter)
	for i, r := range t.rows {
		if t.failingOnly && !r.failing {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(strings.Join(r.cells, " ")),
			needle) {
			continue
		}
		t.view = append(t.view, i)
	}
	if t.sortCol >= 0 {
		c := t.sortCol
		sort.SliceStable(t.view, func(i, j int) bool {
			a, b := t.rows[t.view[i]].keys[c], t.rows[t.view[j]].keys[c]
			if t.desc {
				return less(b, a)
			}
			return less(a, b)
		})
	}
	t.cursor = min(t.cursor, max(len(t.view)-1, 0))
}

func less(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, _ := b.(float64)
		return x < y
	case string:
		y, _ := b.(string)
		return strings.ToLower(x) < strings.ToLower(y)
	}
	return false
}

// sortNext moves sorting to the next column shown; numbers sort biggest
// first.
func (t *table) sortNext() {
	for range t.cols {
		t.sortCol = (t.sortCol + 1) % len(t.cols)
		if t.width == 0 || t.cols[t.sortCol].hideBelow <= t.width {
			break
		}
	}
	_, isNum := t.firstKey(t.sortCol).(float64)
	t.desc = isNum
	t.apply()
}

func (t *table) firstKey(c int) any {
	if len(t.rows) == 0 {
		return nil
	}
	return t.rows[0].keys[c]
}

// reverse flips the sort direction (sorting by the first column if none
// was chosen).
func (t *table) reverse() {
	if t.sortCol < 0 {
		t.sortCol = 0
		t.desc = false
	}
	t.desc = !t.desc
	t.apply()
}

func (t *table) setFilter(s string) {
	t.filter = s
	t.apply()
}

func (t *table) toggleFailing() {
	t.failingOnly = !t.failingOnly
	t.apply()
}

func (t *table) move(n int) {
	t.cursor = max(min(t.cursor+n, len(t.view)-1), 0)
}

func (t *table) selected() (row, bool) {
	if t.cursor < 0 || t.cursor >= len(t.view) {
		return row{}, false
	}
	return t.rows[t.view[t.cursor]], true
}

// shown returns the columns that fit width and the width each gets.
// Content-sized columns get their natural width (up to their max). When
// the line is too long, bars give up their spare cells first, then the
// widest content-sized column a cell at a time, and the fill column (the
// row's key, such as an IPv6 address) last; room left over goes to the
// fill column.
func (t *table) shown(width int) ([]int, []int) {
	var idx, widths []int
	used, fill := 2, -1 // the cursor marker
	for i, c := range t.cols {
		if c.hideBelow > width {
			continue
		}
		w := c.width
		if w == 0 {
			w = t.naturalWidth(i)
		}
		idx = append(idx, i)
		widths = append(widths, w)
		if c.fill && fill < 0 {
			fill = len(idx) - 1
		}
		used += w + 1
	}
	for k, c := range idx {
		if m := t.cols[c].min; m > 0 && t.cols[c].width > 0 && used > width {
			give := min(used-width, widths[k]-m)
			widths[k] -= give
			used -= give
		}
	}
	for used > width {
		j := t.widestSizable(idx, widths, fill)
		if j < 0 {
			break
		}
		widths[j]--
		used--
	}
	if used < width && fill >= 0 {
		widths[fill] += width - used
	}
	return idx, widths
}

// naturalWidth is column i's width from its content, within its max.
func (t *table) naturalWidth(i int) int {
	w := minColumn
	if i < len(t.natural) {
		w = max(t.natural[i], minColumn)
	}
	if m := t.cols[i].max; m > 0 {
		w = min(w, m)
	}
	return w
}

// floor is the narrowest content-sized column c is shrunk to.
func (t *table) floor(c int) int {
	if m := t.cols[c].min; m > 0 {
		return min(m, t.naturalWidth(c))
	}
	return minColumn
}

// widestSizable is the index (into idx) of the widest content-sized
// column still wider than minColumn, the fill column only when no other
// is; -1 when none is.
func (t *table) widestSizable(idx, widths []int, fill int) int {
	j := -1
	for k, c := range idx {
		if k == fill || t.cols[c].width != 0 || widths[k] <= t.floor(c) {
			continue
		}
		if j < 0 || widths[k] > widths[j] {
			j = k
		}
	}
	if j < 0 && fill >= 0 && widths[fill] > minColumn {
		j = fill
	}
	return j
}

// render draws the header and as many rows as fit height.
func (t *table) render(s Styles, width, height int) string {
	t.width = width
	idx, widths := t.shown(width)
	var b strings.Builder
	b.WriteString(s.Header.Render(t.headerLine(idx, widths)))
	rows := max(height-1, 1)
	t.scroll(rows)
	for i := t.offset; i < len(t.view) && i < t.offset+rows; i++ {
		b.WriteByte('\n')
		b.WriteString(t.rowLine(s, t.rows[t.view[i]], idx, widths, i == t.cursor))
	}
	return b.String()
}

func (t *table) scroll(rows int) {
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+rows {
		t.offset = t.cursor - rows + 1
	}
	t.offset = max(min(t.offset, len(t.view)-rows), 0)
}

func (t *table) headerLine(idx, widths []int) string {
	parts := make([]string, len(idx))
	for i, c := range idx {
		title := t.cols[c].title
		if c == t.sortCol {
			title += map[bool]string{true: "▼", false: "▲"}[t.desc]
		}
		parts[i] = cell(title, widths[i], t.cols[c].right)
	}
	return "  " + strings.Join(parts, " ")
}

func (t *table) rowLine(s Styles, r row, idx, widths []int, sel bool) string {
	parts := make([]string, len(idx))
	for i, c := range idx {
		if t.cols[c].bar && r.noRate {
			parts[i] = cell("-", widths[i], true)
			continue
		}
		if t.cols[c].bar {
			parts[i] = passBar(s, r.rate, widths[i], !sel)
			continue
		}
		if t.cols[c].volume {
			n := int(r.vol*float64(widths[i]) + 0.5)
			parts[i] = cell(strings.Repeat("▇", n), widths[i], false)
			continue
		}
		parts[i] = cell(r.cells[c], widths[i], t.cols[c].right)
	}
	line := strings.Join(parts, " ")
	if sel {
		return s.Selected.Render("▸ " + line)
	}
	return "  " + line
}

// cell fits text into width columns, cut with an ellipsis when longer.
func cell(text string, width int, right bool) string {
	text = ansi.Truncate(text, width, "…")
	pad := strings.Repeat(" ", max(width-ansi.StringWidth(text), 0))
	if right {
		return pad + text
	}
	return text + pad
}

// passBar draws rate as a bar with the percentage after it:
// "███████░░░ 70.0%".
func passBar(s Styles, rate float64, width int, colour bool) string {
	pct := cell(percent(rate), 6, true)
	n := width - 7
	if n < 1 {
		return cell(pct, width, true)
	}
	full := int(rate*float64(n) + 0.5)
	pass, fail := strings.Repeat("█", full), strings.Repeat("░", n-full)
	if colour {
		pass, fail = s.BarPass.Render(pass), s.BarFail.Render(fail)
	}
	return pass + fail + " " + pct
}
