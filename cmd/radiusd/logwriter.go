package main

import (
	"io"
	"sync"
)

// maxLogBacklog bounds the bytes a logWriter holds; writers wait beyond it.
const maxLogBacklog = 1 << 20

// logWriter hands log lines to one goroutine that writes everything
// queued since its last write in one call. An idle server still writes each
// line at once; a busy one makes one write system call per batch instead
// of one per request. Lines keep their order. Close writes what is left.
type logWriter struct {
	out  io.Writer
	mu   sync.Mutex
	cond *sync.Cond // signalled when buf has room again, and on close
	buf  []byte
	wake chan struct{} // one token: there is something to write
	done chan struct{} // closed when the writing goroutine has ended
	shut bool
}

// newLogWriter starts the writing goroutine for out.
func newLogWriter(out io.Writer) *logWriter {
	w := &logWriter{out: out, wake: make(chan struct{}, 1), done: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
	go w.loop()
	return w
}

// Write queues a copy of p. It never fails; after Close it writes
// directly.
func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	for len(w.buf) >= maxLogBacklog && !w.shut {
		w.cond.Wait()
	}
	if w.shut {
		w.mu.Unlock()
		return w.out.Write(p)
	}
	w.buf = append(w.buf, p...)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *logWriter) loop() {
	defer close(w.done)
	var spare []byte
	for range w.wake {
		w.mu.Lock()
		batch := w.buf
		w.buf = spare[:0]
		shut := w.shut
		w.cond.Broadcast()
		w.mu.Unlock()
		if len(batch) > 0 {
			_, _ = w.out.Write(batch) // nowhere to report a failed log write
		}
		spare = batch
		if shut {
			return
		}
	}
}

// Close writes the queued lines and stops the goroutine; later writes go
// straight to the output.
func (w *logWriter) Close() error {
	w.mu.Lock()
	if w.shut {
		w.mu.Unlock()
		return nil
	}
	w.shut = true
	w.cond.Broadcast()
	w.mu.Unlock()
	select { // a token already queued wakes the loop just as well
	case w.wake <- struct{}{}:
	default:
	}
	<-w.done
	return nil
}
