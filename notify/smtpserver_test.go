package notify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one mail as the test SMTP server got it.
type received struct {
	From     string
	To       []string
	Raw      []byte
	Mail     ParsedMail
	AuthUser string
	TLS      bool
}

// smtpOptions shape the test server's behaviour.
type smtpOptions struct {
	failFirst  int           // answer DATA with 451 this many times
	rejectRcpt bool          // answer RCPT with 550
	delay      time.Duration // wait this long before answering MAIL
	tls        string        // "", "starttls" or "implicit"
	auth       bool          // offer AUTH PLAIN (user "shop", password "s3cret pass") and require it
}

// testSMTP is a real SMTP server (emersion/go-smtp) on loopback that records what arrives.
type testSMTP struct {
	Addr string
	// Roots trusts the server's certificate.
	Roots *x509.CertPool
	opts  smtpOptions

	mu        sync.Mutex
	mails     []received
	dataCalls int
	mailCalls int
}

// startSMTP starts a test SMTP server on 127.0.0.1 and stops it when the test ends.
func startSMTP(tb testing.TB, opts smtpOptions) *testSMTP {
	tb.Helper()
	ts := &testSMTP{opts: opts}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &testSession{srv: ts, tls: isTLS, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.AllowInsecureAuth = false
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	if opts.tls != "" {
		cert, roots := selfSigned(tb)
		ts.Roots = roots
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.TLSConfig = cfg
		if opts.tls == "implicit" {
			l = tls.NewListener(l, cfg)
		}
	}
	ts.Addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return ts
}

// Mails returns what has arrived so far.
func (ts *testSMTP) Mails() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.mails...)
}

// setDelay changes how long MAIL is answered late.
func (ts *testSMTP) setDelay(d time.Duration) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.opts.delay = d
}

// counts returns how many MAIL and DATA commands the server has seen.
func (ts *testSMTP) counts() (mail, data int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.mailCalls, ts.dataCalls
}

// waitFor waits until n mails have arrived and returns them.
func (ts *testSMTP) waitFor(tb testing.TB, n int, timeout time.Duration) []received {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := ts.Mails()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			tb.Fatalf("waited %v for %d mails, %d arrived", timeout, n, len(got))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type testSession struct {
	srv  *testSMTP
	conn *smtp.Conn
	tls  bool
	user string
	from string
	to   []string
}

var _ smtp.AuthSession = (*testSession)(nil)

func (s *testSession) AuthMechanisms() []string {
	if !s.srv.opts.auth {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "shop" || password != "s3cret pass" {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	s.srv.mu.Lock()
	s.srv.mailCalls++
	s.srv.mu.Unlock()
	if s.srv.opts.auth && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.srv.mu.Lock()
	d := s.srv.opts.delay
	s.srv.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
	s.from = from
	// A session upgraded by STARTTLS reports TLS from now on.
	_, s.tls = s.conn.TLSConnectionState()
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.srv.opts.rejectRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.srv.dataCalls++
	if s.srv.dataCalls <= s.srv.opts.failFirst {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	p, err := ParseMail(bytes.NewReader(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unparseable: " + err.Error()}
	}
	s.srv.mails = append(s.srv.mails, received{From: s.from, To: append([]string(nil), s.to...), Raw: raw,
		Mail: p, AuthUser: s.user, TLS: s.tls})
	return nil
}

func (s *testSession) Reset()        { s.from, s.to = "", nil }
func (s *testSession) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(tb testing.TB) (tls.Certificate, *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test smtp"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}
