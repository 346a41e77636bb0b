package portal

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// maxSessions bounds the sessions kept in memory; sessions exist only after
// a successful sign-in, so reaching it means something is wrong, and the
// oldest session is dropped.
const maxSessions = 20000

// session is one signed-in browser. Sessions live in this process's memory
// only: behind a load balancer, the portal needs sticky sessions (see
// docs/portal.md).
type session struct {
	key          [32]byte // SHA-256 of the cookie value, the map key
	user         string
	groups       []string
	secondFactor bool      // signed in with a TOTP or recovery code
	admin        bool      // a member of the admin groups, with a second factor
	enrolledAt   time.Time // the store's EnrolledAt when the session began or last enrolled
	csrf         string
	created      time.Time
	lastSeen     time.Time
}

// sessions is the in-memory session table.
type sessions struct {
	mu        sync.Mutex
	byKey     map[[32]byte]*session
	idle, max time.Duration
	now       func() time.Time
}

func newSessions(idle, max time.Duration, now func() time.Time) *sessions {
	return &sessions{byKey: map[[32]byte]*session{}, idle: idle, max: max, now: now}
}

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// start stores a new session and returns it with the cookie value.
func (s *sessions) start(sess session) (*session, string) {
	token := randomToken()
	now := s.now()
	sess.key, sess.csrf, sess.created, sess.lastSeen = sha256.Sum256([]byte(token)), randomToken(), now, now
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byKey) >= maxSessions {
		s.evictLocked(now)
	}
	s.byKey[sess.key] = &sess
	return &sess, token
}

// get returns a copy of the live session of a cookie value and marks it
// used, or false.
func (s *sessions) get(token string) (session, bool) {
	key := sha256.Sum256([]byte(token))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byKey[key]
	if !ok {
		return session{}, false
	}
	if s.expired(sess, now) {
		delete(s.byKey, key)
		return session{}, false
	}
	sess.lastSeen = now
	return *sess, true
}

func (s *sessions) expired(sess *session, now time.Time) bool {
	return now.Sub(sess.lastSeen) >= s.idle || now.Sub(sess.created) >= s.max
}

// update applies fn to the stored session with key, if it still exists.
func (s *sessions) update(key [32]byte, fn func(*session)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess, ok := s.byKey[key]; ok {
		fn(sess)
	}
}

// end deletes one session.
func (s *sessions) end(key [32]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byKey, key)
}

// endUser deletes every session of user.
func (s *sessions) endUser(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, sess := range s.byKey {
		if sess.user == user {
			delete(s.byKey, k)
		}
	}
}

// evictLocked drops expired sessions, and the oldest one if none expired.
func (s *sessions) evictLocked(now time.Time) {
	var oldest *session
	for k, sess := range s.byKey {
		if s.expired(sess, now) {
			delete(s.byKey, k)
		} else if oldest == nil || sess.created.Before(oldest.created) {
			oldest = sess
		}
	}
	if len(s.byKey) >= maxSessions && oldest != nil {
		delete(s.byKey, oldest.key)
	}
}

// validCSRF compares a submitted token with the expected one in constant
// time.
func validCSRF(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// Cookie names: the __Host- prefix pins a cookie to this host, path / and
// a secure context (HTTPS, or http://127.0.0.1 and localhost, which
// browsers treat as secure).
const (
	sessionCookie = "__Host-radiusd-session"
	signinCookie  = "__Host-radiusd-signin"
)

// setCookie sets a Secure, HttpOnly, SameSite=Strict cookie for the whole
// site; maxAge < 0 deletes it, 0 makes it last for the browser session.
func (p *Portal) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

func (p *Portal) cookie(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}
