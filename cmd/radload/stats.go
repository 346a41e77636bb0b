package main

import (
	"math"
	"math/bits"
	"time"
)

// Histogram layout: values below subBuckets nanoseconds are exact; above,
// each power of two is split into halfBuckets buckets, so a bucket's width is
// at most 1/64 of its lower bound (under 1.6% relative error).
const (
	subBits     = 7
	subBuckets  = 1 << subBits // 128
	halfBuckets = subBuckets / 2
	numBuckets  = subBuckets + (64-subBits)*halfBuckets
)

// histogram records durations in log-linear buckets with bounded relative
// error and fixed memory. It is not safe for concurrent use: each worker
// keeps its own and they are merged at the end.
type histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

// bucketOf returns the bucket index of v nanoseconds.
func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	shift := bits.Len64(v) - subBits
	top := v >> shift // in [halfBuckets, subBuckets)
	return subBuckets + (shift-1)*halfBuckets + int(top-halfBuckets)
}

// bucketUpper returns the largest value that falls in bucket i.
func bucketUpper(i int) uint64 {
	if i < subBuckets {
		return uint64(i)
	}
	shift := (i-subBuckets)/halfBuckets + 1
	top := uint64((i-subBuckets)%halfBuckets + halfBuckets)
	if shift+subBits >= 64 && top == subBuckets-1 {
		return math.MaxUint64
	}
	return (top+1)<<shift - 1
}

// record adds one observation; negative durations count as zero.
func (h *histogram) record(d time.Duration) {
	d = max(d, 0)
	h.counts[bucketOf(uint64(d))]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

// merge adds every observation of o to h.
func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the nearest-rank q-quantile (0 < q ≤ 1): the smallest
// recorded value v such that at least q of the observations are ≤ v, rounded
// up to its bucket's upper bound and capped at the maximum. It returns 0 for
// an empty histogram.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketUpper(i)), h.max)
		}
	}
	return h.max
}

// mean returns the average observation, or 0 if there is none.
func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// counts are one worker's outcome counters; merged at the end of a run.
type counts struct {
	requests    uint64 // exchanges started (a retransmission is not a new request)
	accepts     uint64
	rejects     uint64
	challenges  uint64
	other       uint64 // valid replies with any other code
	timeouts    uint64 // no valid reply after every retransmission
	invalid     uint64 // replies whose authenticators or format do not verify
	unexpected  uint64 // valid replies whose code is not the scenario's expectation
	errors      uint64 // socket errors (for example ICMP port unreachable)
	retransmits uint64
	stale       uint64 // replies to an earlier Identifier, discarded
	cached      uint64 // duplicate, mixed: resends answered with the identical bytes
	paced       uint64 // --rate: send times taken from the pacer
	late        uint64 // --rate: send times taken more than lateAfter after they were due
	starved     time.Duration
	kinds       [numMixKinds]kindCounts // mixed: outcomes per kind of request
}

// add adds o to c.
func (c *counts) add(o counts) {
	c.requests += o.requests
	c.accepts += o.accepts
	c.rejects += o.rejects
	c.challenges += o.challenges
	c.other += o.other
	c.timeouts += o.timeouts
	c.invalid += o.invalid
	c.unexpected += o.unexpected
	c.errors += o.errors
	c.retransmits += o.retransmits
	c.stale += o.stale
	c.cached += o.cached
	c.paced += o.paced
	c.late += o.late
	c.starved += o.starved
	for k := range c.kinds {
		c.kinds[k].requests += o.kinds[k].requests
		c.kinds[k].wrong += o.kinds[k].wrong
		c.kinds[k].timeouts += o.kinds[k].timeouts
	}
}
