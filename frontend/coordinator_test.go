package frontend_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/audit"
	"github.com/fairhands/marketplace/catalog"
	"github.com/fairhands/marketplace/payments"
	"github.com/fairhands/marketplace/training"
)

// multipartForm builds a form with fields and an optional photo, as a phone browser sends it.
func multipartForm(t *testing.T, fields map[string]string, photo []byte) (string, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if photo != nil {
		fw, err := mw.CreateFormFile("photo", "IMG_0001.jpg")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(photo)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), &b
}

func (w *web) postMultipart(path string, fields map[string]string, photo []byte) page {
	w.t.Helper()
	ct, body := multipartForm(w.t.(*testing.T), fields, photo)
	req, _ := http.NewRequest("POST", w.e.Server.URL+path, body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Origin", w.e.Server.URL)
	return w.do(req)
}

// TestCoordinatorActsForMaker: a coordinator lists a product for a maker without a phone; the
// catalog records it as done by the coordinator for the maker, and a price under the living wage
// is refused at submission with the lowest fair price shown.
func TestCoordinatorActsForMaker(t *testing.T) {
	e := apptest.New(t)
	pid := e.Program("Kolkata Beads")
	_, coordTok := e.Coordinator(pid)
	makerID, _ := e.Maker(pid, coordTok)
	coordUser, err := e.App.Accounts.Authenticate(context.Background(), coordTok)
	if err != nil {
		t.Fatal(err)
	}
	w := newWeb(t, e)
	w.login(coordUser.Login, apptest.Password)

	fields := map[string]string{"title": "Seed-bead anklet", "description": "Two anklets.", "category": "jewellery",
		"price": "20", "stock": "3", "hours": "2", "materials": "50", "action": "submit"}
	p := w.postMultipart("/coordinator/makers/"+makerID+"/products", fields, testJPEG(t, 640, 480))
	must(t, p, http.StatusOK, "too low for a fair wage")
	if !strings.Contains(w.url, "/coordinator/products/") {
		t.Fatalf("landed on %s", w.url)
	}
	productID := strings.TrimPrefix(w.url, "/coordinator/products/")
	prod, err := e.App.Catalog.Product(context.Background(), e.Actor(coordUser.ID), productID)
	if err != nil || prod.MakerID != makerID || prod.Status != catalog.StatusDraft || len(prod.Images) != 1 {
		t.Fatalf("stored %+v, %v", prod, err)
	}
	// Raise the price and send it again.
	p = w.post("/coordinator/products/"+productID, url.Values{"price": {"900"}})
	must(t, p, http.StatusOK)
	p = w.post("/coordinator/products/"+productID+"/submit", nil)
	must(t, p, http.StatusOK, "Waiting for review")
	entries, err := e.App.Audit.List(context.Background(), audit.Query{RecordID: makerID})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, en := range entries {
		found = found || (en.ForMakerID == makerID && en.ActorID == coordUser.ID && strings.HasPrefix(en.Action, "product."))
	}
	if !found {
		t.Fatalf("no 'by coordinator for maker' audit entry among %+v", entries)
	}
	// A field mistake keeps what was typed.
	fields["title"], fields["price"] = "Second anklet", "abc"
	p = w.postMultipart("/coordinator/makers/"+makerID+"/products", fields, nil)
	must(t, p, http.StatusBadRequest, `value="Second anklet"`, `id="e-price"`)
}

// TestTrainingPages: attendance in a few taps, a milestone signed off, the certificate checked
// in public, and the report downloaded as CSV.
func TestTrainingPages(t *testing.T) {
	e := apptest.New(t)
	pid := e.Program("Mumbai Tailoring")
	coordID, coordTok := e.Coordinator(pid)
	makerID, _ := e.Maker(pid, coordTok)
	coord := e.Actor(coordID)
	ctx := context.Background()
	track, err := e.App.Training.CreateTrack(ctx, coord, pid, training.TrackInput{Name: "Hand embroidery",
		Milestones: []training.MilestoneInput{{Title: "Chain stitch"}}})
	if err != nil {
		t.Fatal(err)
	}
	enr, err := e.App.Training.Enroll(ctx, coord, track.ID, training.EnrollInput{MakerID: makerID})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := e.App.Accounts.User(ctx, coordID)
	w := newWeb(t, e)
	w.login(u.Login, apptest.Password)

	p := w.get("/coordinator/programs/" + pid + "/training")
	must(t, p, http.StatusOK, "Hand embroidery", `name="present" value="`+makerID+`"`)
	p = w.post("/coordinator/programs/"+pid+"/attendance", url.Values{"track": {track.ID}, "date": {""}, "topic": {"Chain stitch practice"}, "present": {makerID}})
	must(t, p, http.StatusOK, "Attendance saved")
	sessions, err := e.App.Training.Sessions(ctx, coord, track.ID)
	if err != nil || len(sessions) != 1 || len(sessions[0].Present) != 1 {
		t.Fatalf("sessions %+v, %v", sessions, err)
	}
	// The day's class is shown saved, its people ticked, and can be corrected: saving it again
	// keeps one class. A save with nobody ticked is refused on the form, in Bengali too.
	must(t, p, http.StatusOK, `value="`+makerID+`" checked`, "Save the correction", "Chain stitch practice")
	second, _ := e.Maker(pid, coordTok)
	if _, err := e.App.Training.Enroll(ctx, coord, track.ID, training.EnrollInput{MakerID: second}); err != nil {
		t.Fatal(err)
	}
	p = w.post("/coordinator/programs/"+pid+"/attendance", url.Values{"track": {track.ID}, "date": {""}, "topic": {"Chain stitch practice"}, "present": {makerID, second}})
	must(t, p, http.StatusOK, "Attendance saved", `value="`+second+`" checked`)
	if sessions, _ = e.App.Training.Sessions(ctx, coord, track.ID); len(sessions) != 1 || len(sessions[0].Present) != 2 {
		t.Fatalf("after a correction: %+v", sessions)
	}
	p = w.post("/coordinator/programs/"+pid+"/attendance?lang=bn", url.Values{"track": {track.ID}, "date": {""}, "topic": {"Chain stitch practice"}})
	must(t, p, http.StatusBadRequest, "অন্তত একজনকে টিক দিন")
	if sessions, _ = e.App.Training.Sessions(ctx, coord, track.ID); len(sessions) != 1 || len(sessions[0].Present) != 2 {
		t.Fatalf("an empty save changed the class: %+v", sessions)
	}
	w.get("/?lang=en")

	p = w.post("/coordinator/makers/"+makerID+"/milestones", url.Values{"enrollment": {enr.ID}, "milestone": {track.Milestones[0].ID}})
	must(t, p, http.StatusOK, "Milestone signed off", "1 of 1")
	cert, err := e.App.Training.EnrollmentCertificate(ctx, coord, enr.ID)
	if err != nil {
		t.Fatal(err)
	}
	public := newWeb(t, e)
	must(t, public.get("/verify/"+cert.Code), http.StatusOK, "This certificate is valid", "Hand embroidery")
	must(t, public.get("/verify?code="+cert.Code), http.StatusOK, "This certificate is valid")
	must(t, public.get("/verify/NOT-A-CODE"), http.StatusNotFound, "No certificate has this code")

	// A sign-off made by mistake is undone from the same page, with a reason (refused without
	// one); the track reopens and its certificate is revoked at once.
	p = w.get("/coordinator/makers/" + makerID)
	must(t, p, http.StatusOK, `action="/coordinator/makers/`+makerID+`/milestones/undo"`)
	p = w.post("/coordinator/makers/"+makerID+"/milestones/undo", url.Values{"enrollment": {enr.ID}, "milestone": {track.Milestones[0].ID}})
	must(t, p, http.StatusUnprocessableEntity)
	p = w.post("/coordinator/makers/"+makerID+"/milestones/undo", url.Values{"enrollment": {enr.ID}, "milestone": {track.Milestones[0].ID},
		"reason": {"Signed off the wrong maker"}})
	must(t, p, http.StatusOK, "The sign-off is undone", "0 of 1", "Sign off")
	if v := public.get("/verify/" + cert.Code); strings.Contains(v.Body, "This certificate is valid") {
		t.Fatalf("a certificate of an undone track still verifies:\n%s", v.Body)
	}

	res, err := w.c.Get(e.Server.URL + "/coordinator/programs/" + pid + "/reports/training.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV download: %d %v", res.StatusCode, res.Header)
	}
	// The sales download has the API's payout columns, in minor units, totals last.
	sales, err := w.c.Get(e.Server.URL + "/coordinator/programs/" + pid + "/reports/sales.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer sales.Body.Close()
	recs, err := csv.NewReader(sales.Body).ReadAll()
	if err != nil || sales.StatusCode != http.StatusOK || len(recs) < 2 ||
		strings.Join(recs[0], ",") != "makerId,displayName,currency,sales,earned,pending,transferred,reversed,disbursed" ||
		recs[len(recs)-1][1] != "Total" {
		t.Fatalf("sales CSV: %d %q (%v)", sales.StatusCode, recs, err)
	}
	// Someone else's program's report is not there.
	other := e.Program("Other")
	must(t, w.get("/coordinator/programs/"+other+"/reports/training.csv"), http.StatusNotFound)
}

// TestImpactPageGroupsSmallCounts: groups under 11 show as "fewer than 11", in every language.
func TestImpactPageGroupsSmallCounts(t *testing.T) {
	s := newShop(t)
	w := newWeb(t, s.e)
	must(t, w.get("/impact"), http.StatusOK, "Kolkata Beads", "fewer than 11")
	must(t, w.get("/impact?lang=hi"), http.StatusOK, "11 से कम")
	must(t, w.get("/impact?lang=bn"), http.StatusOK, "11-এর কম")
}

// TestDashboardShowsPaymentsToCheck: an order whose payment did not match it (payments flags it,
// see payments.TestWebhookPaymentThatDoesNotMatchTheOrderIsFlagged) is listed for the program's
// coordinator with what was paid and what was due, in her language.
func TestDashboardShowsPaymentsToCheck(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	res, err := s.e.App.Payments.Checkout(ctx, accounts.Actor{}, payments.CheckoutInput{Email: "guest@test.example",
		Items:           []payments.ItemInput{{ProductID: s.products[0].ID, Quantity: 1}},
		ShippingAddress: &payments.Address{Name: "Guest Buyer", Line1: "1 Road", City: "Pune", PostalCode: "411001", Country: "IN"}})
	if err != nil {
		t.Fatal(err)
	}
	// What payments writes on a mismatched payment (the webhook path is tested in payments).
	flag := payments.PaymentFlag{Reason: "amount_mismatch", Amount: 1, Currency: "USD", Method: "stripe", At: time.Now().UTC()}
	if _, err := s.e.DB.Write("orders").UpdateOne(ctx, bson.M{"_id": res.OrderID}, bson.M{"$set": bson.M{"paymentFlag": flag}}); err != nil {
		t.Fatal(err)
	}
	coord, err := s.e.App.Accounts.User(ctx, s.coord.UserID)
	if err != nil {
		t.Fatal(err)
	}
	w := newWeb(t, s.e)
	w.login(coord.Login, apptest.Password)
	base := "/coordinator/programs/" + s.programID
	must(t, w.get(base+"?lang=en"), http.StatusOK, "Payments to check", "nothing was paid to makers", "Paid $0.01")
	must(t, w.get(base+"?lang=hi"), http.StatusOK, "जाँचने वाले भुगतान")
	must(t, w.get(base+"?lang=bn"), http.StatusOK, "যে পেমেন্টগুলো দেখতে হবে")
}
