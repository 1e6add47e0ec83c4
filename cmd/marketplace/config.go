package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/fieldcrypt"
)

// config is everything read from the environment.
type config struct {
	Addr          string
	BaseURL       string
	MongoURI      string
	Database      string
	DataDir       string
	AdminEmail    string
	AdminPassword string
	LogLevel      string
	MetricsAddr   string
	App           app.Config
}

func loadConfig(getenv func(string) string) (config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := config{
		Addr:          get("ADDR", "127.0.0.1:8080"),
		MongoURI:      get("MONGODB_URI", ""),
		Database:      get("MONGODB_DATABASE", "marketplace"),
		DataDir:       get("DATA_DIR", "./data"),
		AdminEmail:    get("ADMIN_EMAIL", ""),
		AdminPassword: getenv("ADMIN_PASSWORD"),
		LogLevel:      get("LOG_LEVEL", "info"),
		MetricsAddr:   get("METRICS_ADDR", ""),
	}
	c.BaseURL = strings.TrimRight(get("BASE_URL", "http://"+c.Addr), "/")
	c.App = app.Config{
		BaseURL:             c.BaseURL,
		StripeSecretKey:     get("STRIPE_SECRET_KEY", ""),
		StripeWebhookSecret: get("STRIPE_WEBHOOK_SECRET", ""),
		StripeAPIURL:        get("STRIPE_API_URL", ""),
		MetricsToken:        get("METRICS_TOKEN", ""),
		SMTPURL:             get("SMTP_URL", ""),
	}
	defaults := accounts.DefaultSessionPolicy()
	durations := []struct {
		env string
		to  *time.Duration
		def time.Duration
	}{
		{"SESSION_STAFF_IDLE", &c.App.Sessions.StaffIdle, defaults.StaffIdle},
		{"SESSION_STAFF_MAX", &c.App.Sessions.StaffMax, defaults.StaffMax},
		{"SESSION_IDLE", &c.App.Sessions.MemberIdle, defaults.MemberIdle},
		{"SESSION_MAX", &c.App.Sessions.MemberMax, defaults.MemberMax},
	}
	for _, d := range durations {
		*d.to = d.def
		if v := get(d.env, ""); v != "" {
			parsed, err := time.ParseDuration(v)
			if err != nil || parsed <= 0 {
				return c, fmt.Errorf("%s must be a positive duration such as 30m or 168h, not %q", d.env, v)
			}
			*d.to = parsed
		}
	}
	if err := c.App.Sessions.Validate(); err != nil {
		return c, fmt.Errorf("SESSION_*: %w", err)
	}
	if c.App.SMTPURL == "" {
		c.App.MailDir = filepath.Join(c.DataDir, "mail")
	}
	proxies, err := trustedProxies(get("TRUSTED_PROXIES", ""))
	if err != nil {
		return c, err
	}
	c.App.TrustedProxies = proxies
	if !embeddedMode(c) && c.App.StripeSecretKey == "" && get("ALLOW_TEST_PAYMENTS", "") != "true" {
		return c, errors.New("with MONGODB_URI set (production) and no STRIPE_SECRET_KEY, buyers could only use the test-payment page: " +
			"set STRIPE_SECRET_KEY, or ALLOW_TEST_PAYMENTS=true for a staging site")
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return c, errors.New("set both ADMIN_EMAIL and ADMIN_PASSWORD, or neither")
	}
	sessionSecret := get("SESSION_SECRET", "")
	dataKey := get("DATA_ENCRYPTION_KEY", "")
	if !embeddedMode(c) && (sessionSecret == "" || dataKey == "") {
		return c, errors.New("with MONGODB_URI set (production), SESSION_SECRET and DATA_ENCRYPTION_KEY are required: " +
			"every instance must share them, and losing DATA_ENCRYPTION_KEY makes makers' private fields unreadable")
	}
	if sessionSecret == "" {
		if sessionSecret, err = keptSecret(c.DataDir, "session-secret"); err != nil {
			return c, err
		}
	}
	if dataKey == "" {
		if dataKey, err = keptSecret(c.DataDir, "data-encryption-key"); err != nil {
			return c, err
		}
	}
	if len(sessionSecret) < 32 {
		return c, errors.New("SESSION_SECRET must be at least 32 characters")
	}
	key, err := fieldcrypt.ParseKey(dataKey)
	if err != nil {
		return c, err
	}
	c.App.SessionSecret = sessionSecret
	c.App.EncryptionKey = key
	return c, nil
}

// keptSecret returns a secret stored in DATA_DIR, generating it on first use (embedded mode only).
func keptSecret(dataDir, name string) (string, error) {
	path := filepath.Join(dataDir, name)
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", dataDir, err)
	}
	v := fieldcrypt.NewKey()
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keep %s: %w", name, err)
	}
	return v, nil
}

// embeddedMode reports whether the embedded store is in use (no MONGODB_URI).
func embeddedMode(c config) bool { return c.MongoURI == "" }

// trustedProxies reads TRUSTED_PROXIES: the load balancers' addresses or CIDRs, comma-separated,
// whose X-Forwarded-For names the client. Empty trusts none: every client is known by the address
// that connected, which behind a balancer is the balancer's.
func trustedProxies(v string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return nil, fmt.Errorf("TRUSTED_PROXIES: %q is not an IP address or CIDR (e.g. 10.0.0.0/8)", p)
		}
		out = append(out, p)
	}
	return out, nil
}
