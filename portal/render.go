package portal

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pages holds one parsed template set per page, each with the layout.
type pages struct {
	byName map[string]*template.Template
}

// view is what every page template gets.
type view struct {
	Title  string
	Issuer string
	User   string // the signed-in user; "" on the sign-in page
	Admin  bool
	CSRF   string
	Error  string // shown in p.error
	Notice string // shown in p.notice
	Data   any
	Now    time.Time // the time the page is rendered
}

var templateFuncs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"pathEscape": url.PathEscape,
	"policies":   func() []string { return []string{"default", "required", "exempt"} },
}

func parsePages() (*pages, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("portal: templates: %w", err)
	}
	pg := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" || strings.HasPrefix(base, "_") { // the layout and partials
			continue
		}
		t, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFiles, "templates/layout.html", "templates/_*.html", n)
		if err != nil {
			return nil, fmt.Errorf("portal: templates: %w", err)
		}
		pg.byName[strings.TrimSuffix(base, ".html")] = t
	}
	return pg, nil
}

// render writes page with status; it renders into a buffer first, so that
// a template error never sends half a page.
func (p *Portal) render(w http.ResponseWriter, status int, page string, v view) {
	v.Issuer, v.Now = p.opts.Issuer, p.opts.Now()
	var buf bytes.Buffer
	if err := p.pages.byName[page].Execute(&buf, v); err != nil {
		p.log.Error("render failed", "page", page, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// noStore marks a response that shows a secret (the enrollment key, the
// recovery codes) as never to be cached.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// fail shows an error page.
func (p *Portal) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := view{Title: http.StatusText(status), Error: msg}
	if s, ok := p.current(r); ok {
		v.User, v.Admin, v.CSRF = s.user, s.admin, s.csrf
	}
	p.render(w, status, "error", v)
}

func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
