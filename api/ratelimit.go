package api

import (
	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/ratelimit"
)

// keyedLimiter answers 429 when the client address, or the logged-in account, is over its rate.
type keyedLimiter struct{ *ratelimit.Keyed }

func newKeyedLimiter(perMinute float64, burst int) *keyedLimiter {
	return &keyedLimiter{ratelimit.New(perMinute, burst)}
}

func (k *keyedLimiter) limit() gin.HandlerFunc {
	return func(c *gin.Context) {
		key := "ip:" + c.ClientIP()
		if a := ActorOf(c); !a.Anonymous() {
			key = "user:" + a.UserID
		}
		if !k.Allow(key) {
			c.Header("Retry-After", "60")
			Fail(c, errRateLimited)
			return
		}
		c.Next()
	}
}
