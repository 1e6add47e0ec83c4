package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/app/apptest"
)

func TestSurvivorDataRights(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	p1, p2 := e.Program("Workshop One"), e.Program("Workshop Two")
	_, c1 := e.Coordinator(p1)
	_, c2 := e.Coordinator(p2)
	makerID, maker := e.Maker(p1, c1)

	t.Run("withdrawing consent hides name and story at once", func(t *testing.T) {
		named := e.PublicID(makerID)
		pub := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+named+"/public", "", nil)
		if pub.Str("story") == "" || pub.Str("displayName") == "A maker" || pub.Str("id") != named {
			t.Fatalf("before withdrawal: %s", pub.Body)
		}
		e.Must(http.StatusOK, "PUT", "/api/v1/makers/"+makerID+"/consent", maker, map[string]bool{"story": false, "publicProfile": false})
		// The page she was named on is gone; what is shown of her now has an id of its own.
		e.Must(http.StatusNotFound, "GET", "/api/v1/makers/"+named+"/public", "", nil)
		anon := e.PublicID(makerID)
		pub = e.Must(http.StatusOK, "GET", "/api/v1/makers/"+anon+"/public", "", nil)
		if pub.Str("story") != "" || pub.Str("displayName") != "A maker" || anon == named {
			t.Fatalf("after withdrawal: %s", pub.Body)
		}
		// The coordinator may record a renewed consent for the maker; it is audited as such.
		// She withdrew it herself: the coordinator may give it again only on her signed paper consent.
		r := e.Must(http.StatusBadRequest, "PUT", "/api/v1/makers/"+makerID+"/consent", c1, map[string]bool{"publicProfile": true})
		if r.ErrCode() != "invalid_fields" || !strings.Contains(string(r.Body), "paperConsentNote") {
			t.Fatalf("coordinator's grant without a paper consent: %s", r.Body)
		}
		e.Must(http.StatusOK, "PUT", "/api/v1/makers/"+makerID+"/consent", c1, map[string]any{"publicProfile": true,
			"paperConsentNote": "Signed paper form, office file"})
		e.Must(http.StatusNotFound, "PUT", "/api/v1/makers/"+makerID+"/consent", c2, map[string]bool{"publicProfile": false})
		e.Must(http.StatusBadRequest, "PUT", "/api/v1/makers/"+makerID+"/consent", maker, map[string]bool{})
	})

	t.Run("export holds the profile and who looked at it", func(t *testing.T) {
		r := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+makerID+"/export", maker, nil)
		prof := r.JSON["profile"].(map[string]any)
		if !strings.HasPrefix(prof["legalName"].(string), "Legal Name") {
			t.Fatalf("export profile: %s", r.Body)
		}
		if len(r.JSON["whoLookedAtMyRecord"].([]any)) == 0 {
			t.Fatalf("export lacks the audit trail: %s", r.Body)
		}
		// Staff are named by id and role, without their network address; the maker's own
		// actions keep theirs.
		roles := map[string]int{}
		for _, x := range r.JSON["whoLookedAtMyRecord"].([]any) {
			entry := x.(map[string]any)
			role, _ := entry["actorRole"].(string)
			roles[role]++
			if ip, _ := entry["ip"].(string); (ip != "") != (role == "maker") {
				t.Errorf("trail entry of a %s with ip %q: %v", role, ip, entry)
			}
		}
		if roles["coordinator"] == 0 || roles["maker"] == 0 {
			t.Fatalf("trail roles %v: want the coordinator's and the maker's own entries", roles)
		}
		e.Must(http.StatusNotFound, "GET", "/api/v1/makers/"+makerID+"/export", c2, nil)
	})

	t.Run("erasure", func(t *testing.T) {
		pid := e.PublicID(makerID)
		e.Must(http.StatusBadRequest, "POST", "/api/v1/makers/"+makerID+"/erase", maker, map[string]string{"confirm": "yes"})
		e.Must(http.StatusNotFound, "POST", "/api/v1/makers/"+makerID+"/erase", c2, map[string]string{"confirm": "ERASE"})
		e.Must(http.StatusOK, "POST", "/api/v1/makers/"+makerID+"/erase", c1, map[string]string{"confirm": "ERASE"})
		// The maker's sessions are revoked and the login no longer works.
		e.Must(http.StatusUnauthorized, "GET", "/api/v1/me", maker, nil)
		e.Must(http.StatusNotFound, "GET", "/api/v1/makers/"+pid+"/public", "", nil)
		e.Must(http.StatusNotFound, "GET", "/api/v1/makers/"+e.PublicID(makerID)+"/public", "", nil)
		raw, err := e.DB.Read("makers").FindOne(context.Background(), bson.M{"_id": makerID}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		if s := raw.String(); strings.Contains(s, "fc1:") || strings.Contains(s, "I make things") || strings.Contains(s, "Maker ") {
			t.Fatalf("private data left after erasure: %s", s)
		}
		r := e.Must(http.StatusOK, "GET", "/api/v1/makers/"+makerID, c1, nil)
		if r.Str("legalName") != "" || r.Str("status") != "retired" {
			t.Fatalf("after erasure: %s", r.Body)
		}
	})
}
