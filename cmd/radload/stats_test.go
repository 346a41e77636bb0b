package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// exactQuantile is the nearest-rank quantile of sorted samples.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func TestHistogramQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name    string
		samples []time.Duration
	}{
		{"single", []time.Duration{1234567}},
		{"small exact values", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"one to a hundred ms", seq(100, time.Millisecond)},
		{"log-uniform 10µs to 10s", logUniform(rng, 5000)},
		{"bimodal with outlier", append(slices.Repeat([]time.Duration{200 * time.Microsecond}, 990),
			slices.Repeat([]time.Duration{3 * time.Second}, 10)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h histogram
			for _, d := range tt.samples {
				h.record(d)
			}
			sorted := slices.Sorted(slices.Values(tt.samples))
			for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999, 1} {
				got, want := h.quantile(q), exactQuantile(sorted, q)
				if got < want || float64(got-want) > float64(want)/64+1 {
					t.Errorf("q%.3f = %v, want %v within 1/64", q, got, want)
				}
			}
			if h.quantile(1) != sorted[len(sorted)-1] || h.max != sorted[len(sorted)-1] {
				t.Errorf("max = %v / q1 = %v, want %v", h.max, h.quantile(1), sorted[len(sorted)-1])
			}
		})
	}
}

func TestHistogramEmptyAndMerge(t *testing.T) {
	var a, b histogram
	if a.quantile(0.5) != 0 || a.mean() != 0 {
		t.Fatal("empty histogram must report zeros")
	}
	for _, d := range seq(50, time.Millisecond) {
		a.record(d)
	}
	for _, d := range seq(50, time.Millisecond) {
		b.record(d + 50*time.Millisecond)
	}
	b.record(-time.Second) // clamps to zero
	a.merge(&b)
	if a.n != 101 || a.max != 100*time.Millisecond || a.quantile(0.005) != 0 {
		t.Fatalf("merged n=%d max=%v q.005=%v", a.n, a.max, a.quantile(0.005))
	}
	if got := a.quantile(0.5); got < 50*time.Millisecond || got > 51*time.Millisecond {
		t.Fatalf("merged median %v, want about 50ms", got)
	}
}

func TestBucketBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	values := []uint64{0, 1, 127, 128, 129, 255, 256, 1 << 40, math.MaxUint64 - 1, math.MaxUint64}
	for range 10000 {
		values = append(values, rng.Uint64()>>rng.IntN(64))
	}
	for _, v := range values {
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d out of range", v, i)
		}
		if up := bucketUpper(i); up < v || (i > 0 && bucketUpper(i-1) >= v) {
			t.Fatalf("v=%d bucket %d upper %d, previous upper %d", v, i, up, bucketUpper(i-1))
		}
	}
}

// seq returns 1·unit … n·unit.
func seq(n int, unit time.Duration) []time.Duration {
	s := make([]time.Duration, n)
	for i := range s {
		s[i] = time.Duration(i+1) * unit
	}
	return s
}

// logUniform returns n durations spread log-uniformly over 10µs … 10s.
func logUniform(rng *rand.Rand, n int) []time.Duration {
	s := make([]time.Duration, n)
	for i := range s {
		s[i] = time.Duration(math.Pow(10, 4+6*rng.Float64()))
	}
	return s
}
