package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The mail templates' money function formats any integer of minor units and refuses floats.
func TestMoneyFunc(t *testing.T) {
	for _, tc := range []struct {
		amount any
		want   string
		err    bool
	}{
		{int64(12345600), "₹1,23,456.00", false},
		{int(-250000), "-₹2,500.00", false},
		{uint32(99), "₹0.99", false},
		{uint64(1 << 63), "", true},
		{549.0, "", true},
	} {
		got, err := moneyFunc(tc.amount, "INR")
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("moneyFunc(%v) = %q, %v; want %q, error %v", tc.amount, got, err, tc.want, tc.err)
		}
	}
}

func TestNewSMTPSenderReadsTheURL(t *testing.T) {
	for _, tc := range []struct {
		url, addr, user, pass, from, err string
		tls                              bool
	}{
		{url: "smtp://mail.example.org?from=shop@example.org", addr: "mail.example.org:587", from: "shop@example.org"},
		{url: "smtps://u%40x:p%3Ass@mail.example.org?from=shop@example.org", addr: "mail.example.org:465", user: "u@x", pass: "p:ss", from: "shop@example.org", tls: true},
		{url: "smtp://127.0.0.1:2525?from=Fair%20Hands%20%3Cshop@example.org%3E", addr: "127.0.0.1:2525", from: "shop@example.org"},
		{url: "smtp://mail.example.org", err: "from="},
		{url: "http://mail.example.org?from=a@b.org", err: "scheme"},
		{url: "smtp://?from=a@b.org", err: "no host"},
		{url: "smtp://mail.example.org?from=not-an-address", err: "not an address"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			s, err := NewSMTPSender(tc.url)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Addr != tc.addr || s.Username != tc.user || s.Password != tc.pass || s.From.Address != tc.from || s.ImplicitTLS != tc.tls {
				t.Errorf("got %+v", s)
			}
			if strings.Contains(s.String(), "p:ss") {
				t.Errorf("String() shows the password: %s", s)
			}
		})
	}
	if _, err := NewSender("", ""); err == nil {
		t.Error("NewSender with neither SMTP_URL nor folder must fail")
	}
}

func TestLongNonASCIISubjectIsFolded(t *testing.T) {
	subject := strings.Repeat("आपका ऑर्डर भेज दिया गया है ", 4)
	raw, err := buildMessage(mail.Address{Address: "shop@example.org"}, Mail{ID: "x", To: "a@example.com", Subject: subject, Text: "नमस्ते\n", HTML: "<p>नमस्ते</p>"})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 100 {
			t.Errorf("header or body line of %d bytes: %q", len(line), line)
		}
	}
	p, err := ParseMail(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != strings.TrimSpace(subject) && p.Subject != subject {
		t.Errorf("subject round trip: %q", p.Subject)
	}
	if p.Text != "नमस्ते\n" || p.HTML != "<p>नमस्ते</p>" {
		t.Errorf("parts round trip: %q %q", p.Text, p.HTML)
	}
}

func TestDirSenderWritesMailTheDevPageLists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	sender, err := NewSender("", dir)
	if err != nil {
		t.Fatal(err)
	}
	o := newTestOutbox(t, sender)
	startWorkers(t, o, 1)
	d := confirmationData("FH-1234")
	d["items"] = []Item{{Title: "<script>alert(1)</script> necklace", MakerDisplayName: "Asha", Quantity: 1, UnitPrice: 150000}}
	mustEnqueue(t, o, Message{To: "priya@example.com", Lang: Hindi, Template: OrderConfirmation, Data: d, Key: "k1"})
	waitStatus(t, o, "k1", StatusSent, 5*time.Second)
	mustEnqueue(t, o, Message{To: "ops@example.com", Template: CoordinatorListingReview, Key: "k2", Data: map[string]any{
		"productTitle": "Brass bangle", "makerDisplayName": "Asha", "program": "Kolkata", "reviewURL": "https://x.example/r/1"}})
	waitStatus(t, o, "k2", StatusSent, 5*time.Second)

	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 2 {
		t.Fatalf("%d .eml files in %s, want 2", len(files), dir)
	}
	info, _ := os.Stat(files[0])
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mail file mode %v, want 0600 (it holds buyers' addresses)", info.Mode().Perm())
	}
	f, _ := os.Open(files[0])
	p, err := ParseMail(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "आपका Fair Hands ऑर्डर FH-1234 पक्का हो गया है" || !strings.Contains(p.Text, "कुल राशि: ₹1,23,456.00") {
		t.Errorf("mail file: subject %q, text:\n%s", p.Subject, p.Text)
	}

	srv := httptest.NewServer(http.StripPrefix("/dev/mail", DevHandler(dir)))
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, list := get("/dev/mail")
	if code != 200 {
		t.Fatalf("list: %d", code)
	}
	first, second := strings.Index(list, "Listing waiting for review: Brass bangle"), strings.Index(list, "FH-1234")
	if first < 0 || second < 0 || first > second {
		t.Errorf("list does not show both mails newest first:\n%s", list)
	}
	name := filepath.Base(files[0])
	if !strings.Contains(list, `href="?file=`+name+`"`) {
		t.Errorf("list does not link %s", name)
	}
	code, page := get("/dev/mail?file=" + name)
	if code != 200 || !strings.Contains(page, "priya@example.com") || !strings.Contains(page, "कुल राशि: ₹1,23,456.00") {
		t.Errorf("show: %d\n%s", code, page)
	}
	if strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt; necklace") {
		t.Errorf("show page does not escape the mail:\n%s", page)
	}
	for _, bad := range []string{"../mail/" + name, "..%2F" + name, "missing.eml", ".hidden.eml", "/etc/passwd"} {
		if code, _ := get("/dev/mail?file=" + bad); code != 404 {
			t.Errorf("?file=%s: %d, want 404", bad, code)
		}
	}
	if err := sender.Send(context.Background(), Mail{ID: "../../escape", To: "a@example.com", Subject: "s", Text: "t", HTML: "h"}); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*.eml")); len(files) != 3 {
		t.Errorf("an id with a path did not land in the folder: %v", files)
	}
}
