package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/template"
	"time"

	"radiusd/secret"
)

// Body formats of HTTPOptions.Format.
const (
	FormatForm = "form" // application/x-www-form-urlencoded
	FormatJSON = "json" // application/json
)

// maxDrain bounds how much of a response body is read (and thrown away)
// so that the connection can be reused.
const maxDrain = 64 << 10

// HTTPOptions configure an SMS sender that calls a provider's HTTP API.
type HTTPOptions struct {
	// URL is the provider's endpoint. It must be https, except for a
	// loopback host (tests, a local gateway). It is not a template: the
	// code travels in the body only, never in a URL that proxies log.
	URL string
	// Method is POST (the default when ""), PUT or PATCH.
	Method string
	// Headers are extra request headers (a Content-Type here replaces the
	// one Format implies).
	Headers map[string]string
	// SecretHeader names a header that carries SecretValue, typically
	// "Authorization" with "Bearer …" or "Basic …", read from a file by
	// the caller. Both or neither must be set.
	SecretHeader string
	SecretValue  secret.Value
	// Body is a text/template over Message that renders the request body;
	// it must show {{.Code}}. Values must be escaped with the funcs of the
	// format: {{json .To}} for JSON, {{urlquery .To}} for forms. NewHTTP
	// renders it once with hostile sample values and refuses a JSON body
	// that is then not valid JSON, or a form body that does not parse.
	Body string
	// Format is FormatForm (the default when "") or FormatJSON; it sets
	// the Content-Type.
	Format string
	// SuccessStatus lists the HTTP status codes that mean "accepted";
	// nil means 200 to 299. Redirects are not followed.
	SuccessStatus []int
	// CAFile is a PEM file of the CAs that may sign the provider's
	// certificate; "" trusts the system roots.
	CAFile string
	// Timeout bounds one whole request, on top of the caller's ctx; 0
	// means 10 seconds.
	Timeout time.Duration
}

// HTTP sends codes by SMS through a provider's HTTP API. It is safe for
// concurrent use.
type HTTP struct {
	opts   HTTPOptions
	url    string
	header http.Header // without the secret header
	body   *template.Template
	client *http.Client
}

var _ Sender = (*HTTP)(nil)

// StatusError is the error for a response whose status is not in
// SuccessStatus. It holds the status code only: the response body may
// echo the code.
type StatusError struct {
	Code int
}

// Error names the status, for example "notify: sms: provider answered 503
// Service Unavailable".
func (e *StatusError) Error() string {
	return fmt.Sprintf("notify: sms: provider answered %d %s", e.Code, http.StatusText(e.Code))
}

// NewHTTP checks opts, parses the body template (rendering it once with a
// hostile sample) and loads CAFile. It does not contact the provider.
func NewHTTP(opts HTTPOptions) (*HTTP, error) {
	if opts.Method == "" {
		opts.Method = http.MethodPost
	}
	if opts.Format == "" {
		opts.Format = FormatForm
	}
	if opts.Timeout == 0 {
		opts.Timeout = defaultTimeout
	}
	h := &HTTP{opts: opts}
	if err := h.checkOptions(); err != nil {
		return nil, fmt.Errorf("notify: sms: %w", err)
	}
	if err := h.parseBody(); err != nil {
		return nil, fmt.Errorf("notify: sms: %w", err)
	}
	if err := h.newClient(); err != nil {
		return nil, fmt.Errorf("notify: sms: %w", err)
	}
	return h, nil
}

// checkOptions validates URL, method, format, statuses and headers.
func (h *HTTP) checkOptions() error {
	o := h.opts
	u, err := url.Parse(o.URL)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return errors.New("url is not an http(s) URL with a host")
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Errorf("url must be https unless its host is a loopback address, not %q", u.Hostname())
	case u.User != nil:
		return errors.New("url must not hold credentials: use secret_header")
	case !slices.Contains([]string{http.MethodPost, http.MethodPut, http.MethodPatch}, o.Method):
		return fmt.Errorf("method %q is not one of POST, PUT, PATCH", o.Method)
	case o.Format != FormatForm && o.Format != FormatJSON:
		return fmt.Errorf("format %q is not one of form, json", o.Format)
	case o.Timeout < 0:
		return fmt.Errorf("timeout %v is negative", o.Timeout)
	case (o.SecretHeader == "") != o.SecretValue.IsZero():
		return errors.New("secret header name and value must be set together")
	}
	h.url = u.String()
	for _, c := range o.SuccessStatus {
		if c < 100 || c > 599 {
			return fmt.Errorf("success status %d is not an HTTP status", c)
		}
	}
	return h.checkHeaders()
}

// checkHeaders validates the header names and values and builds h.header.
func (h *HTTP) checkHeaders() error {
	o := h.opts
	h.header = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if o.Format == FormatJSON {
		h.header.Set("Content-Type", "application/json")
	}
	for name, value := range o.Headers {
		if !validHeaderName(name) || hasLineBreak(value) {
			return fmt.Errorf("header %q is not a valid header name and value", name)
		}
		h.header.Set(name, value)
	}
	if o.SecretHeader == "" {
		return nil
	}
	if !validHeaderName(o.SecretHeader) || bytes.ContainsAny(o.SecretValue.Bytes(), "\r\n\x00") {
		return fmt.Errorf("secret header %q is not a valid header name and value", o.SecretHeader)
	}
	if h.header.Get(o.SecretHeader) != "" {
		return fmt.Errorf("header %q is both in headers and the secret header", o.SecretHeader)
	}
	return nil
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// parseBody parses the body template and renders it with the hostile
// sample: the result must show the code and be well-formed for Format.
func (h *HTTP) parseBody() error {
	if strings.TrimSpace(h.opts.Body) == "" {
		return errors.New("body template is empty")
	}
	var err error
	if h.body, err = parseTemplate("body", h.opts.Body); err != nil {
		return err
	}
	sample := hostile
	sample.User += "\n\t\u2028"
	out, err := renderSample(h.body, sample, true)
	if err != nil {
		return err
	}
	return h.checkRendered(out, "the sample message")
}

// checkRendered checks that a rendered body is valid for Format. what
// names the message in the error; the body itself is never shown.
func (h *HTTP) checkRendered(body, what string) error {
	if h.opts.Format == FormatJSON && !json.Valid([]byte(body)) {
		return fmt.Errorf("body for %s is not valid JSON (escape values with {{json .Field}})", what)
	}
	if h.opts.Format == FormatForm {
		if _, err := url.ParseQuery(body); err != nil {
			return fmt.Errorf("body for %s is not a valid form (escape values with {{urlquery .Field}})", what)
		}
	}
	return nil
}

// newClient builds the HTTP client: the default transport's settings
// (proxy from the environment, pooled connections) with our TLS
// configuration, and no redirects.
func (h *HTTP) newClient() error {
	u, _ := url.Parse(h.url)
	cfg, err := tlsConfig(h.opts.CAFile, u.Hostname())
	if err != nil {
		return err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	h.client = &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return nil
}

// Channel returns ChannelSMS.
func (h *HTTP) Channel() string { return ChannelSMS }

// Mask returns MaskPhone(to), for a Reply-Message.
func (h *HTTP) Mask(to string) string { return MaskPhone(to) }

// Send renders the body for m and sends the request. It returns nil only
// for a status in SuccessStatus, a *StatusError (status code only) for
// another, and an error wrapping ctx.Err() when ctx or Options.Timeout
// ends first.
func (h *HTTP) Send(ctx context.Context, m Message) error {
	secrets := append(secretParts(h.opts.SecretValue.Bytes()), []byte(m.Code))
	return redact(h.send(ctx, m), secrets...)
}

// send does the work of Send, without the redaction.
func (h *HTTP) send(ctx context.Context, m Message) error {
	if err := smsRecipient(m); err != nil {
		return fmt.Errorf("notify: sms: %w", err)
	}
	body, err := render(h.body, m)
	if err == nil {
		err = h.checkRendered(body, "this message")
	}
	if err != nil {
		return fmt.Errorf("notify: sms: %w", err)
	}
	ctx, cancel := withTimeout(ctx, h.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, h.opts.Method, h.url, strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify: sms: build request: %w", err)
	}
	req.Header = h.header.Clone()
	if h.opts.SecretHeader != "" {
		req.Header.Set(h.opts.SecretHeader, string(h.opts.SecretValue.Bytes()))
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("notify: sms: request: %w", cause(ctx, err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	_ = resp.Body.Close()
	if !h.success(resp.StatusCode) {
		return &StatusError{Code: resp.StatusCode}
	}
	return nil
}

// success reports whether status means the provider accepted the message.
func (h *HTTP) success(status int) bool {
	if h.opts.SuccessStatus == nil {
		return status >= 200 && status <= 299
	}
	return slices.Contains(h.opts.SuccessStatus, status)
}

// smsRecipient checks that m has a code and a plausible phone number: 3 to
// 32 characters of digits, blanks and "+()-./".
func smsRecipient(m Message) error {
	if m.Code == "" {
		return ErrNoCode
	}
	to := strings.TrimSpace(m.To)
	ok := len(to) >= 3 && len(to) <= 32 && strings.Trim(to, "0123456789 +()-./") == "" &&
		strings.ContainsAny(to, "0123456789")
	if !ok {
		return fmt.Errorf("%s: %w", MaskPhone(m.To), ErrRecipient)
	}
	return nil
}
