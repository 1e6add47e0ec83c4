package api_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fairhands/marketplace/app/apptest"
)

// mailsWith returns the .eml files written to the demo mail folder that mention want.
func mailsWith(t *testing.T, e *apptest.Env, want string) []string {
	t.Helper()
	var out []string
	files, _ := filepath.Glob(filepath.Join(e.App.Config.MailDir, "*.eml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(b), want) {
			out = append(out, string(b))
		}
	}
	return out
}

func TestCoordinatorsHearOfListingsToReview(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	p := e.Program("Mail Workshop")
	_, coord := e.Coordinator(p)
	makerID, maker := e.Maker(p, coord)
	id := e.Must(http.StatusCreated, "POST", "/api/v1/products", maker, map[string]any{
		"title": "Silver toe ring", "description": "Hammered silver", "category": "jewellery",
		"price": 20000, "currency": "INR", "stock": 3, "hoursOfWork": 1, "materialsCost": 1000}).Str("id")
	e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/submit", maker, nil)
	var mails []string
	apptest.Eventually(t, 10*time.Second, func() bool { mails = mailsWith(t, e, "Silver toe ring"); return len(mails) > 0 })
	if len(mails) != 1 {
		t.Fatalf("coordinator mails about the listing: %d, want 1", len(mails))
	}
	m := mails[0]
	if !strings.Contains(m, "/coordinator/programs/"+p+"/review") {
		t.Fatalf("mail lacks the review link:\n%s", m)
	}
	// The maker appears by display name only; their legal name and phone never travel by mail.
	priv := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+makerID, coord, nil)
	if strings.Contains(m, priv.Str("legalName")) || strings.Contains(m, priv.Str("phone")) {
		t.Fatalf("mail carries private maker data:\n%s", m)
	}
}

// A buyer hears of their order by e-mail, with the order link: paid, then shipped.
func TestBuyersGetOrderMails(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	p := e.Program("Order Mail Workshop")
	_, coord := e.Coordinator(p)
	_, maker := e.Maker(p, coord)
	id := e.Must(http.StatusCreated, "POST", "/api/v1/products", maker, map[string]any{
		"title": "Kantha cushion cover", "description": "Hand-stitched", "category": "home",
		"price": 30000, "currency": "INR", "stock": 3, "hoursOfWork": 1, "materialsCost": 1000}).Str("id")
	e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/submit", maker, nil)
	e.Must(http.StatusOK, "POST", "/api/v1/products/"+id+"/approve", coord, nil)

	r := e.Must(http.StatusCreated, "POST", "/api/v1/checkout", "", map[string]any{
		"email": "guest@test.example", "items": []map[string]any{{"productId": id, "quantity": 1}},
		"shippingAddress": map[string]string{"name": "Guest", "line1": "1 Road", "city": "Leeds", "postalCode": "LS1 1AA", "country": "GB"}})
	orderID := r.Str("orderId")
	cu, err := url.Parse(r.Str("checkoutUrl"))
	if err != nil {
		t.Fatal(err)
	}
	token := cu.Query().Get("token")
	req, _ := http.NewRequest("POST", e.Server.URL+"/checkout/test/"+orderID, strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode >= 400 {
		t.Fatalf("test payment: %d", res.StatusCode)
	}
	link := "/orders/" + token
	var paid []string
	apptest.Eventually(t, 10*time.Second, func() bool {
		paid = paid[:0]
		for _, m := range mailsWith(t, e, "Kantha cushion cover") {
			if !strings.Contains(m, "/review") { // the listing-review notice from the submission
				paid = append(paid, m)
			}
		}
		return len(paid) >= 2
	})
	toBuyer := 0
	for _, m := range paid {
		if strings.Contains(m, "guest@test.example") {
			toBuyer++
			if !strings.Contains(m, link) {
				t.Fatalf("confirmation lacks the order link %s:\n%s", link, m)
			}
		}
	}
	if toBuyer != 1 || len(paid) != 2 {
		t.Fatalf("mails after payment: %d to the buyer of %d (want 1 to the buyer, 1 to the coordinator)", toBuyer, len(paid))
	}

	e.Must(http.StatusOK, "POST", "/api/v1/orders/"+orderID+"/ship", coord, map[string]string{"trackingNumber": "TRK123456IN", "carrier": "India Post"})
	var shipped []string
	apptest.Eventually(t, 10*time.Second, func() bool { shipped = mailsWith(t, e, "TRK123456IN"); return len(shipped) > 0 })
	if len(shipped) != 1 || !strings.Contains(shipped[0], link) {
		t.Fatalf("shipped mails: %d", len(shipped))
	}
}

// Coordinators get one digest a day of the outcome follow-ups due in their programs.
func TestDailyDigestOfFollowUps(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	p := e.Program("Digest Workshop")
	_, coord := e.Coordinator(p)
	makerID, _ := e.Maker(p, coord)
	tr := e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+p+"/tracks", coord, map[string]any{
		"name": "Stone setting", "milestones": []map[string]any{{"title": "Bezel setting"}}})
	ms := tr.JSON["milestoneIds"].([]any)[0].(string)
	started := time.Now().UTC().AddDate(0, 0, -120).Format("2006-01-02")
	done := time.Now().UTC().AddDate(0, 0, -95).Format("2006-01-02")
	en := e.Must(http.StatusCreated, "POST", "/api/v1/tracks/"+tr.Str("id")+"/enrollments", coord,
		map[string]any{"makerId": makerID, "enrolledOn": started}).Str("id")
	e.Must(http.StatusOK, "POST", "/api/v1/enrollments/"+en+"/milestones/"+ms+"/complete", coord, map[string]any{"completedOn": done})

	for range 2 { // twice the same day: one digest
		if err := e.App.Notices.SendDigests(t.Context(), time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
	}
	var digests []string
	apptest.Eventually(t, 10*time.Second, func() bool { digests = mailsWith(t, e, "3-month follow-up"); return len(digests) > 0 })
	time.Sleep(300 * time.Millisecond)
	if digests = mailsWith(t, e, "3-month follow-up"); len(digests) != 1 || !strings.Contains(digests[0], "Stone setting") {
		t.Fatalf("digests: %d", len(digests))
	}
}
