package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// SMTPSender delivers mail to an SMTP server (a relay or a provider's submission port), one
// connection per message: the outbox sends a handful of mails an hour, so pooling would only
// add failure modes.
type SMTPSender struct {
	// Addr is the server's host:port.
	Addr string
	// ImplicitTLS connects with TLS from the start (smtps://); otherwise STARTTLS is used
	// whenever the server offers it.
	ImplicitTLS bool
	// Username and Password, when set, authenticate with AUTH PLAIN, which is only ever sent
	// over TLS (or to a server on loopback).
	Username, Password string
	// From is the sender shown to recipients and used as the envelope sender.
	From mail.Address
	// TLSConfig, when set, replaces the default (the system's roots, the server's host name);
	// tests use it to trust their own certificate.
	TLSConfig *tls.Config
	// LocalName is the name given in EHLO; "localhost" when empty.
	LocalName string
}

// NewSMTPSender reads an SMTP_URL:
//
//	smtp://user:pass@host:port?from=shop@example.org   STARTTLS when offered (port 587 by default)
//	smtps://user:pass@host:port?from=shop@example.org  implicit TLS (port 465 by default)
//
// from may carry a display name ("Fair Hands <shop@example.org>", URL-encoded). The user name
// and password are optional and may be percent-encoded.
func NewSMTPSender(rawURL string) (*SMTPSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse echoes the URL, password included; say only what is wrong.
		return nil, errors.New("SMTP_URL is not a valid URL")
	}
	s := &SMTPSender{}
	port := "587"
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.ImplicitTLS = true
		port = "465"
	default:
		return nil, fmt.Errorf("SMTP_URL: scheme must be smtp or smtps, not %q", u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return nil, errors.New("SMTP_URL: no host")
	}
	if p := u.Port(); p != "" {
		port = p
	}
	s.Addr = net.JoinHostPort(host, port)
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	from := u.Query().Get("from")
	if from == "" {
		return nil, errors.New("SMTP_URL: add ?from=address (the sender shown to recipients)")
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL: from %q is not an address: %w", from, err)
	}
	s.From = *addr
	return s, nil
}

// Send delivers m. The context bounds the whole exchange: when it ends, the connection is
// closed. A 5xx refusal of the recipient is returned as Permanent; anything else may be retried.
func (s *SMTPSender) Send(ctx context.Context, m Mail) error {
	msg, err := buildMessage(s.From, m)
	if err != nil {
		return Permanent(err)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return Permanent(fmt.Errorf("smtp: recipient: %w", err))
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: server address %q: %w", s.Addr, err)
	}
	tlsConfig := s.tlsConfig(host)

	d := net.Dialer{Timeout: 30 * time.Second}
	var conn net.Conn
	if s.ImplicitTLS {
		td := tls.Dialer{NetDialer: &d, Config: tlsConfig}
		conn, err = td.DialContext(ctx, "tcp", s.Addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.Addr)
	}
	if err != nil {
		return fmt.Errorf("smtp: connect to %s: %w", s.Addr, err)
	}
	// net/smtp knows no context: close the connection when ctx ends, and let deadlines bound
	// each read and write.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	err = s.converse(conn, host, tlsConfig, to.Address, msg)
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("smtp: %w (%w)", ctx.Err(), err)
	}
	return err
}

// converse runs one SMTP session on conn: EHLO, STARTTLS when offered, AUTH, MAIL, RCPT, DATA.
func (s *SMTPSender) converse(conn net.Conn, host string, tlsConfig *tls.Config, rcpt string, msg []byte) error {
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	local := s.LocalName
	if local == "" {
		local = "localhost"
	}
	if err := c.Hello(local); err != nil {
		return fmt.Errorf("smtp: EHLO: %w", err)
	}
	if !s.ImplicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return fmt.Errorf("smtp: STARTTLS: %w", err)
			}
		}
	}
	if s.Username != "" {
		// PlainAuth refuses to send the password over an unencrypted connection to anything
		// but loopback, which is what we want.
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("smtp: AUTH: %w", err)
		}
	}
	if err := c.Mail(s.From.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		err = fmt.Errorf("smtp: RCPT TO: %w", err)
		if isPermanentReply(err) {
			return Permanent(err)
		}
		return err
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: send message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: message refused: %w", err)
	}
	// The message is accepted once DATA's reply arrived; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// tlsConfig is the configured TLS settings, or the defaults, naming the server for verification.
func (s *SMTPSender) tlsConfig(host string) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	return cfg
}

// isPermanentReply reports whether err carries a 5xx SMTP reply.
func isPermanentReply(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te) && te.Code >= 500 && te.Code < 600
}

// String describes the sender without its password, for logs.
func (s *SMTPSender) String() string {
	scheme := "smtp"
	if s.ImplicitTLS {
		scheme = "smtps"
	}
	return scheme + "://" + s.Addr + " from " + strings.TrimSpace(s.From.Address)
}
