package frontend_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
)

// TestAuditTrailPage: a coordinator reads the program's trail, filters it by kind and downloads
// it (the download is recorded); another program's coordinator gets 404; labels are translated.
func TestAuditTrailPage(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	u, err := s.e.App.Accounts.User(ctx, s.coord.UserID)
	if err != nil {
		t.Fatal(err)
	}
	w := newWeb(t, s.e)
	w.login(u.Login, apptest.Password)
	base := "/coordinator/programs/" + s.programID
	must(t, w.get(base+"/reports?lang=en"), http.StatusOK, `href="`+base+`/audit"`)
	p := w.get(base + "/audit")
	must(t, p, http.StatusOK, "Audit trail", "product.approve", "Listings")
	p = w.get(base + "/audit?kind=product.")
	must(t, p, http.StatusOK, "product.approve")
	if strings.Contains(p.Body, "<code>maker.") {
		t.Fatal("the listings filter shows maker entries")
	}
	csv := w.get(base + "/audit.csv")
	must(t, csv, http.StatusOK, "at,who,role,action,record,forMakerId,detail", "product.approve")
	if !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv content type %q", csv.Header.Get("Content-Type"))
	}
	must(t, w.get(base+"/audit"), http.StatusOK, "export.audit_csv")
	must(t, w.get(base+"/audit?lang=bn"), http.StatusOK, "অডিট রেকর্ড", "কখন")

	// Another program's coordinator.
	other := s.e.Program("Mumbai Stitches")
	oid, _ := s.e.Coordinator(other)
	ou, err := s.e.App.Accounts.User(ctx, oid)
	if err != nil {
		t.Fatal(err)
	}
	ow := newWeb(t, s.e)
	ow.login(ou.Login, apptest.Password)
	must(t, ow.get(base+"/audit"), http.StatusNotFound)
	must(t, ow.get(base+"/audit.csv"), http.StatusNotFound)
}
