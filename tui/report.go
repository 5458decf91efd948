package tui

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/rptctl/rptctl/engine/results"
	"github.com/rptctl/rptctl/reports"
)

// reportScreen shows one whole report, every batch of it, as text that
// scrolls. It is read from the store when opened, in the background.
type reportScreen struct {
	label  string
	lines  []results.Line
	err    error
	loaded bool
	vp     viewport.Model
	width  int // the width the content was laid out for
	// pending holds the keys pressed while the report was being read;
	// they scroll it once it is laid out, rather than being lost.
	pending []tea.KeyMsg
}

// maxPending bounds the keys kept while a report is read.
const maxPending = 64

var _ screen = (*reportScreen)(nil)

// reportMsg brings a report read in the background to its screen.
type reportMsg struct {
	target *reportScreen
	lines  []results.Line
	err    error
}

// openReport opens the report l belongs to.
func openReport(e *env, l *results.Line) (screen, tea.Cmd) {
	s := &reportScreen{label: "report " + shortKey(l.ReportKey), vp: viewport.New(0, 0)}
	o, ok := e.data.Object(l)
	if !ok {
		s.loaded, s.err = true, errors.New("the report's stored object is not known")
		return s, nil
	}
	q, ctx := e.q, e.ctx
	return s, func() tea.Msg {
		lines, err := q.Report(ctx, o)
		return reportMsg{target: s, lines: lines, err: err}
	}
}

// openOnEnter opens the report of the selected line of l when msg is the
// enter key.
func openOnEnter(e *env, msg tea.Msg, l *itemList[results.Line]) (screen, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok || !key.Matches(k, e.keys.Enter) {
		return nil, nil
	}
	if item, ok := l.selected(e); ok {
		return openReport(e, item)
	}
	return nil, nil
}

func shortKey(k string) string {
	if len(k) > 12 {
		return k[:12]
	}
	return k
}

func (s *reportScreen) setReport(msg reportMsg) {
	s.loaded, s.lines, s.err = true, msg.lines, msg.err
	s.width = 0 // lay out again
}

func (s *reportScreen) crumb() string { return s.label }

func (s *reportScreen) list(*env) *table { return nil }

func (s *reportScreen) update(_ *env, msg tea.Msg) (screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && (!s.loaded || s.width == 0) {
		if len(s.pending) < maxPending {
			s.pending = append(s.pending, k)
		}
		return nil, nil
	}
	var cmd tea.Cmd
	s.vp, cmd = s.vp.Update(msg)
	return nil, cmd
}

func (s *reportScreen) view(e *env, width, height int) string {
	switch {
	case !s.loaded:
		return e.styles.Muted.Render("Reading the report…")
	case s.err != nil:
		return e.styles.Error.Render(ansi.Wrap("Could not read the report: "+s.err.Error(),
			width, " /:")) + "\n\n" + e.styles.Muted.Render("esc goes back.")
	}
	s.vp.Width, s.vp.Height = width, height
	if s.width != width {
		s.width = width
		s.vp.SetContent(ansi.Wrap(reportText(s.lines), width, " ,"))
		for _, k := range s.pending {
			s.vp, _ = s.vp.Update(k) // a key scrolls; it starts nothing
		}
		s.pending = nil
	}
	return s.vp.View()
}

func (s *reportScreen) export(_ *env) exportData {
	var rows [][]string
	for i := range s.lines {
		if s.lines[i].Kind == reports.KindAggregate && s.lines[i].IsRecord() {
			rows = append(rows, recordCells(&s.lines[i]))
		}
	}
	lines := s.lines
	if lines == nil {
		lines = []results.Line{}
	}
	return exportData{name: "report", header: recordHeader, rows: rows, json: lines}
}

// reportText lays a report out for reading: its head once, then each
// record, policy or the failure report's fields.
func reportText(lines []results.Line) string {
	if len(lines) == 0 {
		return "The report has no lines."
	}
	h := lines[0]
	var b strings.Builder
	fmt.Fprintf(&b, "%s report %s from %s\n", h.Kind, h.ReportID, h.OrgName)
	fmt.Fprintf(&b, "period    %s to %s\n", stamp(h.DateBegin), stamp(h.DateEnd))
	fmt.Fprintf(&b, "domain    %s", h.PolicyDomain)
	if h.PolicyP != "" {
		fmt.Fprintf(&b, "  policy p=%s", h.PolicyP)
	}
	fmt.Fprintf(&b, "\nstored    company %s, customer %s\n", h.CompanyID, h.CustomerID)
	fmt.Fprintf(&b, "key       %s\ntrace     %s\n", h.ReportKey, h.TraceID)
	switch h.Kind {
	case reports.KindAggregate:
		aggregateText(&b, lines)
	case reports.KindTLSRPT:
		tlsText(&b, lines)
	case reports.KindFailure:
		failureText(&b, &h)
	}
	return strings.TrimRight(b.String(), "\n")
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func aggregateText(b *strings.Builder, all []results.Line) {
	// A report without records is stored as one line of its fields.
	var lines []results.Line
	var total int64
	for i := range all {
		if all[i].IsRecord() {
			lines = append(lines, all[i])
			total += all[i].Count
		}
	}
	fmt.Fprintf(b, "\n%d records, %d messages\n", len(lines), total)
	for i := range lines {
		l := &lines[i]
		fmt.Fprintf(b, "\n%d. %s  count %d  dmarc %s  disposition %s\n", i+1,
			l.SourceIP, l.Count, l.DMARC, l.Disposition)
		fmt.Fprintf(b, "   source %s\n", sourceText(l.Source))
		fmt.Fprintf(b, "   header from %s, envelope from %s, envelope to %s\n",
			cmp.Or(l.HeaderFrom, "-"), cmp.Or(l.EnvelopeFrom, "-"), cmp.Or(l.EnvelopeTo, "-"))
		fmt.Fprintf(b, "   policy: dkim %s, spf %s\n", l.DKIM, l.SPF)
		for _, d := range l.DKIMResults {
			fmt.Fprintf(b, "   dkim %s selector %s: %s\n", d.Domain, cmp.Or(d.Selector, "-"),
				d.Result)
		}
		for _, s := range l.SPFResults {
			fmt.Fprintf(b, "   spf %s (%s): %s\n", s.Domain, cmp.Or(s.Scope, "mfrom"), s.Result)
		}
		for _, r := range l.Reasons {
			fmt.Fprintf(b, "   override %s %s\n", r.Type, r.Comment)
		}
	}
}

func sourceText(s *reports.Source) string {
	if s == nil {
		return "(not enriched)"
	}
	parts := []string{cmp.Or(s.Hostname, results.NoHostname)}
	if s.Service != "" {
		parts = append(parts, s.Service)
	}
	if s.Country != "" {
		parts = append(parts, s.Country)
	}
	if s.ASN != 0 {
		parts = append(parts, fmt.Sprintf("AS%d %s", s.ASN, s.ASOrg))
	}
	return "(" + strings.TrimSpace(strings.Join(parts, ", ")) + ")"
}

func tlsText(b *strings.Builder, lines []results.Line) {
	for i := range lines {
		l := &lines[i]
		fmt.Fprintf(b, "\npolicy %d: %s %s, %d sessions ok, %d failed\n", i+1, l.PolicyType,
			l.PolicyDomain, l.SuccessfulSessions, l.FailedSessions)
		if len(l.MXHosts) > 0 {
			fmt.Fprintf(b, "   mx %s\n", strings.Join(l.MXHosts, ", "))
		}
		for _, s := range l.PolicyStrings {
			fmt.Fprintf(b, "   %s\n", s)
		}
		for _, d := range l.FailureDetails {
			fmt.Fprintf(b, "   %s: %d sessions from %s to %s (%s) %s\n", d.ResultType,
				d.FailedSessions, cmp.Or(d.SendingMTAIP, "-"), cmp.Or(d.ReceivingMXHostname, "-"),
				cmp.Or(d.ReceivingIP, "-"), d.FailureReasonCode)
		}
	}
}

func failureText(b *strings.Builder, l *results.Line) {
	arrival := "-"
	if l.ArrivalDate != nil {
		arrival = stamp(*l.ArrivalDate)
	}
	fields := [][2]string{
		{"feedback", l.FeedbackType}, {"arrived", arrival},
		{"source", l.SourceIP + " " + sourceText(l.Source)},
		{"domain", l.ReportedDomain}, {"failure", l.AuthFailure},
		{"mail from", l.OriginalMailFrom}, {"rcpt to", l.OriginalRcptTo},
		{"delivery", l.DeliveryResult}, {"dkim", dkimText(l.DKIMDomain, l.DKIMSelector)},
		{"alignment", l.IdentityAlignment},
	}
	b.WriteString("\n")
	for _, f := range fields {
		fmt.Fprintf(b, "%-10s %s\n", f[0], cmp.Or(strings.TrimSpace(f[1]), "-"))
	}
	if len(l.Headers) > 0 {
		b.WriteString("\noriginal headers\n")
		for _, h := range l.Headers {
			fmt.Fprintf(b, "   %s: %s\n", h.Name, h.Value)
		}
	}
}

func dkimText(domain, selector string) string {
	if domain == "" {
		return ""
	}
	return domain + " s=" + cmp.Or(selector, "-")
}
