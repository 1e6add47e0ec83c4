package frontend

import "testing"

// TestSafeNextStaysOnTheSite: a post-login redirect goes only to a cleaned path of this site.
func TestSafeNextStaysOnTheSite(t *testing.T) {
	for next, want := range map[string]string{
		"/maker":                     "/maker",
		"/products?q=brass+earrings": "/products?q=brass+earrings",
		"/coordinator/programs/p1/":  "/coordinator/programs/p1/",
		"/a/../maker":                "/maker",
		"/./maker":                   "/maker",
		"/maker#top":                 "/maker",
		"/./\\evil.test":             "",
		"/\\evil.test":               "",
		"/maker\\..\\..\\evil":       "",
		"/%5Cevil.test":              "",
		"//evil.test":                "",
		"/.//evil.test":              "/evil.test",
		"/..//evil.test":             "/evil.test",
		"https://evil.test/":         "",
		"javascript:alert(1)":        "",
		"evil.test":                  "",
		"/\tevil":                    "",
		"/\r\nSet-Cookie: x=1":       "",
		"":                           "",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}
