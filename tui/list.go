package tui

// itemList is the part every list screen shares: a table kept in step
// with the dataset and the items behind its rows (row.ref indexes
// items). A screen embeds it and so gets list and view; it supplies the
// rest of screen, and its own view where it draws more than the table.
type itemList[T any] struct {
	t       *table
	items   []T
	version int // of the dataset the rows were made from; -1: make them again
	// none is what the list says when it has no rows ("No TLS reports").
	none string
	// fill reads the items from the dataset and makes a row of each.
	fill func(e *env) ([]T, []row)
}

func newItemList[T any](cols []column, none string, fill func(*env) ([]T, []row)) itemList[T] {
	return itemList[T]{t: newTable(cols), version: -1, none: none, fill: fill}
}

// sync fills the list again when the dataset has changed.
func (l *itemList[T]) sync(e *env) {
	if l.version == e.data.Version() {
		return
	}
	l.version = e.data.Version()
	items, rows := l.fill(e)
	l.items = items
	l.t.setRows(rows)
}

func (l *itemList[T]) list(e *env) *table {
	l.sync(e)
	return l.t
}

// view draws the table, or says that there is nothing to show.
func (l *itemList[T]) view(e *env, width, height int) string {
	l.sync(e)
	if len(l.t.rows) == 0 {
		return emptyText(e, l.none)
	}
	return l.t.render(e.styles, width, height)
}

// selected is the item under the cursor.
func (l *itemList[T]) selected(e *env) (*T, bool) {
	l.sync(e)
	r, ok := l.t.selected()
	if !ok {
		return nil, false
	}
	return &l.items[r.ref], true
}

// visible are the items of the rows in view, in order, for export;
// never nil, so that JSON says [] rather than null.
func (l *itemList[T]) visible(e *env) []T {
	l.sync(e)
	out := make([]T, 0, len(l.t.view))
	for _, v := range l.t.view {
		out = append(out, l.items[l.t.rows[v].ref])
	}
	return out
}

// emptyText says that there is nothing to show, and why it may be.
func emptyText(e *env, what string) string {
	f := e.data.Filter
	text := what + " for company " + f.Company
	if f.Customer != "" {
		text += ", customer " + f.Customer
	}
	if f.Domain != "" {
		text += ", domain " + f.Domain
	}
	text += ", " + periodText(f.From, f.To) + "."
	if e.loading {
		return e.styles.Muted.Render("Loading…")
	}
	return e.styles.Muted.Render(text)
}

// rowsOf makes a row of each item, given the item's index as its ref.
func rowsOf[T any](items []T, rowOf func(item *T, ref int) row) []row {
	rows := make([]row, len(items))
	for i := range items {
		rows[i] = rowOf(&items[i], i)
	}
	return rows
}

// exportOf completes d (its name and header set) with items: cells makes
// the CSV row of each, and the items themselves are the JSON.
func exportOf[T any](d exportData, items []T, cells func(item *T) []string) exportData {
	for i := range items {
		d.rows = append(d.rows, cells(&items[i]))
	}
	d.json = items
	return d
}
