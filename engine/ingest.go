package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strings"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine/results"
	"github.com/rptctl/rptctl/reports"
)

// DefaultMaxUpload is the default largest attachment accepted (32 MiB):
// far above any real report (the largest aggregate reports seen are a few
// MiB), low enough that a handful of concurrent uploads fit in memory.
const DefaultMaxUpload = 32 << 20

// DefaultInlineLimit is the default size above which a queue body is
// offloaded to the store: 256 KiB, the SQS maximum message size.
const DefaultInlineLimit = 262144

// DefaultMaxInFlight bounds the memory uploads hold at once (256 MiB),
// each counted at uploadCost times its size, so that the server stays
// well under a gigabyte however many clients upload together; the others
// wait their turn.
const DefaultMaxInFlight = 256 << 20

// uploadCost is how many times its size an upload costs while it is
// read and queued: its bytes, their base64 text, and the copy of that
// text an offload writes (1 + 4/3 + 4/3, rounded up).
const uploadCost = 4

// maxFieldBytes caps one multipart form field: the longest valid field is
// the 255-character content type.
const maxFieldBytes = 1024

// IngestQueue is the queue the ingest server sends to; Stats serves as
// its readiness probe.
type IngestQueue interface {
	Sender
	Stats(ctx context.Context) (awsio.QueueStats, error)
}

// IngestConfig configures the ingest server.
type IngestConfig struct {
	Queue     IngestQueue
	Store     Store
	Payloads  PayloadCodec
	Tokens    *Tokens // nil: no authentication
	MaxUpload int64   // bytes, default DefaultMaxUpload
	// MaxInFlight bounds the upload bytes held at once, default
	// DefaultMaxInFlight (and never below MaxUpload).
	MaxInFlight int64
	Metrics     *Metrics
	Logger      *slog.Logger
}

// Ingest is the HTTP side of rptctl: it accepts attachments and queues
// them. It parses nothing: accepting is a size check, a sniff and a send.
// It is safe for concurrent use.
type Ingest struct {
	cfg      IngestConfig
	inFlight *semaphore.Weighted
}

// NewIngest returns an ingest server with cfg's defaults filled in.
func NewIngest(cfg IngestConfig) *Ingest {
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	cfg.MaxInFlight = max(cfg.MaxInFlight, cfg.MaxUpload)
	return &Ingest{cfg: cfg, inFlight: semaphore.NewWeighted(cfg.MaxInFlight)}
}

// Accepted is the answer to a queued attachment.
type Accepted struct {
	TraceID   string `json:"traceId"`
	MessageID string `json:"messageId"`
	Delivery  string `json:"delivery"` // "inline" or "offloaded"
	Size      int    `json:"size"`
}

// submission is one attachment with its fields, as read from a request.
type submission struct {
	traceID, companyID, customerID, contentType, filename string
	data                                                  []byte
}

// handlePost serves POST /v1/reports.
func (s *Ingest) handlePost(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	g, ok := s.cfg.Tokens.authorize(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "unauthorized",
			"missing or unknown bearer token: send Authorization: Bearer TOKEN")
		return
	}
	if r.ContentLength > s.cfg.MaxUpload {
		writeTooLarge(w, s.cfg.MaxUpload)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload)

	// Wait for room: what the declared length (or the limit, when not
	// declared) costs while queued.
	size := r.ContentLength
	if size < 0 {
		size = s.cfg.MaxUpload
	}
	weight := min(size*uploadCost, s.cfg.MaxInFlight)
	if err := s.inFlight.Acquire(r.Context(), weight); err != nil {
		writeAPIError(w, s.unavailable("waiting for upload room", err))
		return
	}
	defer s.inFlight.Release(weight)

	sub, apiErr := s.readSubmission(r, g)
	if apiErr != nil {
		writeAPIError(w, apiErr)
		return
	}
	acc, apiErr := s.enqueue(r.Context(), sub)
	if apiErr != nil {
		writeAPIError(w, apiErr)
		return
	}
	s.cfg.Metrics.BytesAccepted.Add(float64(len(sub.data)))
	s.cfg.Metrics.TimeToQueue.Observe(time.Since(start).Seconds())
	s.cfg.Logger.Info("report queued",
		"traceId", acc.TraceID,
		"companyId", sub.companyID,
		"customerId", sub.customerID,
		"messageId", acc.MessageID,
		"delivery", acc.Delivery,
		"size", acc.Size)
	writeJSON(w, http.StatusAccepted, acc)
}

// apiError is an error answer of CONTRACT.md section 2.
type apiError struct {
	status  int
	code    string
	message string
}

func badRequest(code, format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, code, fmt.Sprintf(format, args...)}
}

// readSubmission reads the attachment and its fields in either form, and
// checks them, the token's company scope and the container.
func (s *Ingest) readSubmission(r *http.Request, g grant) (submission, *apiError) {
	var sub submission
	var apiErr *apiError
	ct := r.Header.Get("Content-Type")
	mt, _, perr := mime.ParseMediaType(ct)
	switch {
	case mt == "multipart/form-data":
		sub, apiErr = s.readMultipart(r, g)
	case strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "multipart/"):
		// Read as a raw body it would fail on the ids, which misleads.
		return sub, badRequest("invalid_multipart", "Content-Type %q: send "+
			"multipart/form-data with a boundary, or the raw attachment (%v)", ct, perr)
	default:
		sub, apiErr = s.readRaw(r, g)
	}
	if apiErr != nil {
		return sub, apiErr
	}
	if reports.Sniff(sub.data) == reports.ContainerUnknown {
		return sub, &apiError{http.StatusUnsupportedMediaType, "unsupported_media_type",
			describeUnknown(sub.data)}
	}
	if sub.contentType == "" {
		sub.contentType = sniffedType(reports.Sniff(sub.data))
	}
	if sub.traceID == "" {
		sub.traceID = newTraceID()
	}
	return sub, nil
}

// readRaw reads the raw-body form: the fields come in headers, so they
// are checked before the body is read.
func (s *Ingest) readRaw(r *http.Request, g grant) (submission, *apiError) {
	sub := submission{
		traceID:     r.Header.Get("X-Trace-Id"),
		companyID:   r.Header.Get("X-Company-Id"),
		customerID:  r.Header.Get("X-Customer-Id"),
		contentType: r.Header.Get("Content-Type"),
	}
	if mt, _, _ := mime.ParseMediaType(sub.contentType); mt == "application/octet-stream" {
		// What clients send when they do not know: sniff instead.
		sub.contentType = ""
	}
	if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); err == nil {
		sub.filename = cleanFilename(params["filename"])
	}
	if e := checkFields(sub, g); e != nil {
		return sub, e
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return sub, readError(err, s.cfg.MaxUpload)
	}
	sub.data = data
	return sub, nil
}

// readMultipart reads the multipart form: fields traceId, companyId,
// customerId, contentType and the file part `file`. Other parts are
// skipped.
func (s *Ingest) readMultipart(r *http.Request, g grant) (submission, *apiError) {
	var sub submission
	mr, err := r.MultipartReader()
	if err != nil {
		return sub, badRequest("invalid_multipart", "reading multipart form: %v", err)
	}
	haveFile, parts := false, 0
	for ; ; parts++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sub, multipartError(err, s.cfg.MaxUpload)
		}
		if e := s.readPart(p, &sub, &haveFile); e != nil {
			return sub, e
		}
	}
	if parts == 0 {
		return sub, badRequest("invalid_multipart",
			"the multipart body has no parts: is its boundary the one Content-Type names?")
	}
	headerFallback(&sub, r.Header)
	if e := missingFields(sub); e != nil {
		return sub, e
	}
	if e := checkFields(sub, g); e != nil {
		return sub, e
	}
	if !haveFile {
		return sub, badRequest("missing_file", "the form has no file part named \"file\"")
	}
	return sub, nil
}

// headerFallback fills the ids a form lacks from the headers of the
// raw-body form, which some clients send beside a multipart body.
func headerFallback(sub *submission, h http.Header) {
	for _, f := range []struct {
		v      *string
		header string
	}{
		{&sub.traceID, "X-Trace-Id"},
		{&sub.companyID, "X-Company-Id"},
		{&sub.customerID, "X-Customer-Id"},
	} {
		if *f.v == "" {
			*f.v = strings.TrimSpace(h.Get(f.header))
		}
	}
}

// missingFields says which required form field a multipart request
// lacks, rather than calling an absent companyId malformed.
func missingFields(sub submission) *apiError {
	switch {
	case sub.companyID == "":
		return badRequest("invalid_company_id",
			"companyId is missing: the form has no field companyId (nor header X-Company-Id)")
	case sub.customerID == "":
		return badRequest("invalid_customer_id",
			"customerId is missing: the form has no field customerId "+
				"(nor header X-Customer-Id)")
	}
	return nil
}

// multipartError maps an error reading the next part: 413 when over the
// limit, else a malformed form.
func multipartError(err error, limit int64) *apiError {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return tooLarge(limit)
	}
	return badRequest("invalid_multipart", "reading multipart form: %v", err)
}

// readPart reads one part of the multipart form into sub.
func (s *Ingest) readPart(p *multipart.Part, sub *submission, haveFile *bool) *apiError {
	defer p.Close()
	name := p.FormName()
	if name == "file" {
		if *haveFile {
			return badRequest("invalid_form", "the form has more than one file part")
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return readError(err, s.cfg.MaxUpload)
		}
		*haveFile = true
		sub.data = data
		sub.filename = cleanFilename(p.FileName())
		if sub.contentType == "" {
			sub.contentType = partContentType(p)
		}
		return nil
	}
	field := map[string]*string{
		"traceId": &sub.traceID, "companyId": &sub.companyID,
		"customerId": &sub.customerID, "contentType": &sub.contentType,
	}[name]
	if field == nil {
		// Unknown parts are drained and ignored, as HTML forms send extras.
		if _, err := io.Copy(io.Discard, p); err != nil {
			return readError(err, s.cfg.MaxUpload)
		}
		return nil
	}
	v, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
	if err != nil {
		return readError(err, s.cfg.MaxUpload)
	}
	if len(v) > maxFieldBytes {
		return badRequest("invalid_form", "form field %s is longer than %d bytes",
			name, maxFieldBytes)
	}
	*field = strings.TrimSpace(string(v))
	return nil
}

// partContentType is the file part's own type, unless it is the
// meaningless application/octet-stream most clients default to.
func partContentType(p *multipart.Part) string {
	ct := p.Header.Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ct); mt == "application/octet-stream" {
		return ""
	}
	return ct
}

// checkFields validates the fields of CONTRACT.md section 2 and the
// token's company scope.
func checkFields(sub submission, g grant) *apiError {
	switch {
	case !validID(sub.companyID):
		return badRequest("invalid_company_id", "companyId %q: want 1 to 64 characters "+
			"of A-Z a-z 0-9 . _ -, not starting with a dot", sub.companyID)
	case !validID(sub.customerID):
		return badRequest("invalid_customer_id", "customerId %q: want 1 to 64 characters "+
			"of A-Z a-z 0-9 . _ -, not starting with a dot", sub.customerID)
	case sub.traceID != "" && !validTraceID(sub.traceID):
		return badRequest("invalid_trace_id", "traceId %q: want 1 to 128 characters "+
			"of A-Z a-z 0-9 . _ : -", sub.traceID)
	case !validContentType(sub.contentType):
		return badRequest("invalid_content_type", "contentType %q is not a media type",
			sub.contentType)
	case !g.allows(sub.companyID):
		return &apiError{http.StatusForbidden, "forbidden",
			fmt.Sprintf("the token may not submit for company %q", sub.companyID)}
	}
	return nil
}

// readError maps an error reading the body to 413 or 400.
func readError(err error, limit int64) *apiError {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return tooLarge(limit)
	}
	return badRequest("invalid_body", "reading the request body: %v", err)
}

func tooLarge(limit int64) *apiError {
	return &apiError{http.StatusRequestEntityTooLarge, "too_large",
		fmt.Sprintf("the body is over the upload limit of %d bytes", limit)}
}

// enqueue writes the submission's status and sends it to the queue. The
// status is written first, as `queued`: a parser may finish the message
// before this handler returns, and its `processed` must not be
// overwritten. When the send fails the status is removed again.
func (s *Ingest) enqueue(ctx context.Context, sub submission) (Accepted, *apiError) {
	attrs := map[string]awsio.Attribute{
		AttrTraceID:     str(sub.traceID),
		AttrCompanyID:   str(sub.companyID),
		AttrCustomerID:  str(sub.customerID),
		AttrContentType: str(sub.contentType),
		AttrReceivedAt:  str(time.Now().UTC().Format(time.RFC3339)),
	}
	if sub.filename != "" {
		attrs[AttrFilename] = str(sub.filename)
	}
	key := results.PayloadKey(sub.companyID, sub.customerID, sub.traceID)
	body, attrs, offloaded, err := s.cfg.Payloads.Encode(ctx, key, sub.data, attrs)
	if err != nil {
		return Accepted{}, s.unavailable("storing the payload", err)
	}
	acc := Accepted{TraceID: sub.traceID, Delivery: "inline", Size: len(sub.data)}
	if offloaded {
		acc.Delivery = "offloaded"
	}
	st := Status{TraceID: sub.traceID, CompanyID: sub.companyID, CustomerID: sub.customerID,
		State: StateQueued, Delivery: acc.Delivery, Size: acc.Size}
	if err := PutStatus(ctx, s.cfg.Store, st); err != nil {
		return Accepted{}, s.unavailable("writing the status", err)
	}
	acc.MessageID, err = s.cfg.Queue.Send(ctx, body, attrs)
	if err != nil {
		key := results.StatusKey(sub.companyID, sub.traceID)
		if derr := s.cfg.Store.Delete(context.WithoutCancel(ctx), key); derr != nil {
			s.cfg.Logger.Warn("removing the status of an unqueued report",
				"traceId", sub.traceID, "error", derr)
		}
		return Accepted{}, s.unavailable("queueing the report", err)
	}
	return acc, nil
}

func (s *Ingest) unavailable(op string, err error) *apiError {
	s.cfg.Logger.Error("ingest backend unavailable", "operation", op, "error", err)
	return &apiError{http.StatusServiceUnavailable, "unavailable",
		fmt.Sprintf("%s: the backend is unavailable; nothing was queued, retry later", op)}
}

func str(v string) awsio.Attribute { return awsio.Attribute{DataType: "String", Value: v} }

// newTraceID makes a random 128-bit trace id.
func newTraceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// cleanFilename keeps the last element of a client's file name, so that
// no path ever reaches an attribute.
func cleanFilename(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" || len(name) > 255 {
		return ""
	}
	return name
}

// sniffedType is the media type of a sniffed container.
func sniffedType(c reports.Container) string {
	switch c {
	case reports.ContainerXML:
		return "application/xml"
	case reports.ContainerJSON:
		return "application/json"
	case reports.ContainerGzip:
		return "application/gzip"
	case reports.ContainerZip:
		return "application/zip"
	case reports.ContainerEmail:
		return "message/rfc822"
	}
	return "application/octet-stream"
}

// describeUnknown says what an unsupported body starts with.
func describeUnknown(data []byte) string {
	if len(data) == 0 {
		return "the body is empty: send a report as XML, JSON, gzip, zip or email"
	}
	head := data[:min(len(data), 8)]
	return fmt.Sprintf("the body (starting %q) is none of XML, JSON, gzip, zip or email", head)
}
