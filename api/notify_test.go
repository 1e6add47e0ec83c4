package api_test

import (
	"net/http"
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
