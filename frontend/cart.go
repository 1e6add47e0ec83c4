package frontend

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fairhands/marketplace/randid"
	"github.com/gin-gonic/gin"
)

// The cart lives in a signed cookie, so a guest needs no account and the server keeps no state
// for visitors who only browse. The signature (HMAC-SHA256 with the session secret) stops a
// visitor from forging entries; prices are never in the cookie, they are read fresh at checkout.
const (
	cartCookie   = "cart"
	maxCartLines = 20
	maxLineQty   = 20
)

var productIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// cartLine is one product and how many.
type cartLine struct {
	ProductID string
	Qty       int
}

// cartItems are the cart's lines in the order they were added.
type cartItems []cartLine

func (ci cartItems) count() int {
	n := 0
	for _, l := range ci {
		n += l.Qty
	}
	return n
}

// set changes a product's quantity (0 removes it), keeping the limits.
func (ci cartItems) set(id string, qty int) cartItems {
	if qty > maxLineQty {
		qty = maxLineQty
	}
	out := cartItems{}
	found := false
	for _, l := range ci {
		if l.ProductID == id {
			found = true
			if qty > 0 {
				out = append(out, cartLine{id, qty})
			}
			continue
		}
		out = append(out, l)
	}
	if !found && qty > 0 && len(out) < maxCartLines {
		out = append(out, cartLine{id, qty})
	}
	return out
}

func (ci cartItems) qty(id string) int {
	for _, l := range ci {
		if l.ProductID == id {
			return l.Qty
		}
	}
	return 0
}

func (s *Site) cartMAC(payload string) string {
	m := hmac.New(sha256.New, []byte(s.SessionSecret))
	m.Write([]byte("cart:" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// readCart returns the cart from the cookie; a missing, tampered or malformed cookie is an empty cart.
func (s *Site) readCart(c *gin.Context) cartItems {
	v, err := c.Cookie(cartCookie)
	if err != nil || v == "" {
		return nil
	}
	payload, mac, ok := strings.Cut(v, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(s.cartMAC(payload))) {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil
	}
	var out cartItems
	for _, part := range strings.Split(string(raw), ",") {
		id, q, ok := strings.Cut(part, ":")
		n, err := strconv.Atoi(q)
		if !ok || err != nil || n < 1 || n > maxLineQty || !productIDRE.MatchString(id) || out.qty(id) > 0 {
			continue
		}
		out = append(out, cartLine{id, n})
		if len(out) == maxCartLines {
			break
		}
	}
	return out
}

// writeCart stores the cart in its cookie (HttpOnly: no script needs it).
func (s *Site) writeCart(c *gin.Context, ci cartItems) {
	if len(ci) == 0 {
		http.SetCookie(c.Writer, &http.Cookie{Name: cartCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
		return
	}
	parts := make([]string, 0, len(ci))
	for _, l := range ci {
		parts = append(parts, l.ProductID+":"+strconv.Itoa(l.Qty))
	}
	payload := base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, ",")))
	s.setCookie(c, cartCookie, payload+"."+s.cartMAC(payload), 30*24*time.Hour, true)
}

// sortedIDs lists the cart's product ids (for stable lookups).
func (ci cartItems) sortedIDs() []string {
	ids := make([]string, 0, len(ci))
	for _, l := range ci {
		ids = append(ids, l.ProductID)
	}
	sort.Strings(ids)
	return ids
}

// cartIDCookie names this browser's cart for checkout: checking the same cart out again lets
// the earlier unpaid order's goods go, so backing out of payment never holds them twice.
const cartIDCookie = "cart_id"

var cartIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// cartID returns the browser's cart id, giving it one on its first checkout.
func (s *Site) cartID(c *gin.Context) string {
	if v, err := c.Cookie(cartIDCookie); err == nil && cartIDRE.MatchString(v) {
		return v
	}
	id := randid.New()
	s.setCookie(c, cartIDCookie, id, 30*24*time.Hour, true)
	return id
}
