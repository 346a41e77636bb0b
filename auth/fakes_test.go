package auth

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"radiusd/store"
)

// fakeStore is an in-memory Store with the same contract as store.Store.
type fakeStore struct {
	mu         sync.Mutex
	users      map[string]*store.User
	codes      map[string][][]byte
	lastFail   map[string][]byte
	challenges map[string]store.Challenge
	lastSend   map[string]time.Time
	err        error
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		users:      map[string]*store.User{},
		codes:      map[string][][]byte{},
		lastFail:   map[string][]byte{},
		challenges: map[string]store.Challenge{},
		lastSend:   map[string]time.Time{},
	}
}

func (s *fakeStore) user(name string) *store.User {
	u, ok := s.users[name]
	if !ok {
		u = &store.User{Name: name, State: store.StateNone, Policy: store.PolicyDefault, Method: store.MethodDefault}
		s.users[name] = u
	}
	return u
}

func (s *fakeStore) Get(_ context.Context, name string) (store.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return store.User{}, s.err
	}
	u, ok := s.users[name]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	c := *u
	c.RecoveryLeft = len(s.codes[name])
	return c, nil
}

func (s *fakeStore) AcceptStep(_ context.Context, name string, step int64, drift int, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	u, ok := s.users[name]
	if !ok || u.State != store.StateActive {
		return store.ErrNotFound
	}
	if step <= u.LastStep {
		return store.ErrReplay
	}
	u.LastStep, u.Drift, u.LastUsed, u.Failures = step, drift, now, 0
	return nil
}

func (s *fakeStore) UseRecoveryCode(_ context.Context, name string, digest []byte, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	for i, d := range s.codes[name] {
		if bytes.Equal(d, digest) {
			s.codes[name] = append(s.codes[name][:i:i], s.codes[name][i+1:]...)
			u := s.user(name)
			u.LastUsed, u.Failures = now, 0
			return nil
		}
	}
	return store.ErrNotFound
}

func (s *fakeStore) RecordFailure(_ context.Context, name string, f store.Failure) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return time.Time{}, s.err
	}
	u := s.user(name)
	if bytes.Equal(s.lastFail[name], f.Fingerprint) {
		return u.LockedUntil, nil
	}
	s.lastFail[name] = f.Fingerprint
	u.Failures++
	if f.MaxFailures > 0 && u.Failures >= f.MaxFailures {
		u.Failures, u.LockedUntil = 0, f.Now.Add(f.LockFor)
	}
	return u.LockedUntil, nil
}

func (s *fakeStore) StartGrace(_ context.Context, name string, now time.Time) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.user(name)
	if u.GraceStarted.IsZero() {
		u.GraceStarted = now
	}
	return u.GraceStarted, nil
}

func (s *fakeStore) PutChallenge(_ context.Context, c store.Challenge) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.challenges[string(c.ID)] = c
	return nil
}

func (s *fakeStore) TakeChallenge(_ context.Context, id []byte, now time.Time) (store.Challenge, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return store.Challenge{}, s.err
	}
	c, ok := s.challenges[string(id)]
	delete(s.challenges, string(id))
	if !ok || now.After(c.Expires) {
		return store.Challenge{}, store.ErrNotFound
	}
	return c, nil
}

func (s *fakeStore) ReserveSend(_ context.Context, name string, now time.Time, gap time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if last, ok := s.lastSend[name]; ok && last.After(now.Add(-gap)) {
		return store.ErrTooSoon
	}
	s.user(name)
	s.lastSend[name] = now
	return nil
}

func (s *fakeStore) Unlock(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	u, ok := s.users[name]
	if !ok {
		return store.ErrNotFound
	}
	u.Failures, u.LockedUntil = 0, time.Time{}
	delete(s.lastFail, name)
	return nil
}

var errBackend = errors.New("backend down")

func (s *fakeStore) Enroll(_ context.Context, name string, t store.TOTP, now time.Time, force bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.user(name)
	if u.State == store.StateActive && !force {
		return store.ErrExists
	}
	u.State, u.TOTP, u.LastStep, u.Drift = store.StatePending, t, 0, 0
	delete(s.codes, name)
	return nil
}

func (s *fakeStore) Activate(_ context.Context, name string, step int64, drift int, digests [][]byte, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[name]
	if !ok || u.State != store.StatePending {
		return store.ErrNotPending
	}
	u.State, u.LastStep, u.Drift, u.EnrolledAt = store.StateActive, step, drift, now
	s.codes[name] = digests
	return nil
}

func (s *fakeStore) Import(_ context.Context, name string, t store.TOTP, now time.Time, force bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.user(name)
	if u.State == store.StateActive && !force {
		return store.ErrExists
	}
	u.State, u.TOTP, u.LastStep, u.EnrolledAt = store.StateActive, t, 0, now
	return nil
}

func (s *fakeStore) ReplaceRecoveryCodes(_ context.Context, name string, digests [][]byte, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[name]
	if !ok || u.State != store.StateActive {
		return store.ErrNotFound
	}
	s.codes[name] = digests
	return nil
}
