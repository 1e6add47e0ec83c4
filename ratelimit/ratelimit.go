// Package ratelimit keeps a token bucket per key (a client address, an account), forgetting idle
// keys, so the JSON API and the web pages limit logins, sign-ups, checkouts and uploads alike.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Keyed is a set of token buckets, one per key.
type Keyed struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	buckets map[string]*bucket
	lastGC  time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New allows burst requests at once and then perMinute a minute, per key.
func New(perMinute float64, burst int) *Keyed {
	return &Keyed{every: rate.Limit(perMinute / 60), burst: burst, buckets: map[string]*bucket{}}
}

// Allow reports whether one more request for key fits its bucket now.
func (k *Keyed) Allow(key string) bool {
	now := time.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.lastGC) > time.Minute {
		for key, b := range k.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(k.buckets, key)
			}
		}
		k.lastGC = now
	}
	b, ok := k.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(k.every, k.burst)}
		k.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// Spent reports whether key's bucket is empty now, without taking from it: for limits that
// count only some outcomes (answers that found nothing) but refuse every request once spent.
func (k *Keyed) Spent(key string) bool {
	now := time.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
	b, ok := k.buckets[key]
	return ok && b.lim.TokensAt(now) < 1
}
