package frontend

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// keyedLimiter keeps a token bucket per key (client address), forgetting idle keys. The login form
// uses it as the JSON login does, on top of the account lock-out.
type keyedLimiter struct {
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

// newKeyedLimiter allows burst requests at once and then perMinute a minute, per key.
func newKeyedLimiter(perMinute float64, burst int) *keyedLimiter {
	return &keyedLimiter{every: rate.Limit(perMinute / 60), burst: burst, buckets: map[string]*bucket{}}
}

func (k *keyedLimiter) allow(key string) bool {
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
