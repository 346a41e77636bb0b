package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a goroutine-safe bytes.Buffer that counts writes.
type lockedBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
	gate   chan struct{} // if set, each Write waits for a token
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	if l.gate != nil {
		<-l.gate
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.b.Write(p)
}

func TestLogWriterKeepsEveryLineInOrder(t *testing.T) {
	out := &lockedBuffer{}
	w := newLogWriter(out)
	const writers, lines = 8, 500
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(w, "g%d line %d\n", g, i)
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(out.b.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines written, want %d", len(got), writers*lines)
	}
	next := make([]int, writers)
	for _, line := range got {
		var g, i int
		if _, err := fmt.Sscanf(line, "g%d line %d", &g, &i); err != nil || i != next[g] {
			t.Fatalf("line %q out of order or torn (want g%d line %d)", line, g, next[g])
		}
		next[g]++
	}
	t.Logf("%d lines in %d writes", len(got), out.writes)
}

func TestLogWriterBoundsBacklog(t *testing.T) {
	out := &lockedBuffer{gate: make(chan struct{})}
	w := newLogWriter(out)
	line := bytes.Repeat([]byte("x"), 1024)
	w.Write(line)                      // taken by the loop, which now blocks in out.Write
	n := 2 * maxLogBacklog / len(line) // more than the loop's batch and the backlog together
	done := make(chan struct{})
	go func() {
		for range n {
			w.Write(line)
		}
		close(done)
	}()
	for {
		w.mu.Lock()
		full := len(w.buf) >= maxLogBacklog
		w.mu.Unlock()
		if full {
			break
		}
	}
	select {
	case <-done:
		t.Fatal("writes beyond the backlog bound did not wait")
	default:
	}
	close(out.gate) // let every write through
	<-done
	w.Close()
	if want := (n + 1) * len(line); out.b.Len() != want {
		t.Fatalf("%d bytes written, want %d", out.b.Len(), want)
	}
}

func TestLogWriterAfterClose(t *testing.T) {
	out := &lockedBuffer{}
	w := newLogWriter(out)
	w.Write([]byte("before\n"))
	w.Close()
	w.Close()
	w.Write([]byte("after\n"))
	if got := out.b.String(); got != "before\nafter\n" {
		t.Fatalf("got %q", got)
	}
}
