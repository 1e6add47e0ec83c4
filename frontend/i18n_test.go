package frontend

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestLocFormats(t *testing.T) {
	tr, err := newTranslator()
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 7, 10, 0, 0, 0, time.UTC)
	tests := []struct{ lang, date, group string }{
		{"en", "7 March 2026", "fewer than 11"},
		{"hi", "7 मार्च 2026", "11 से कम"},
		{"bn", "7 মার্চ 2026", "11-এর কম"},
	}
	for _, tt := range tests {
		l := tr.loc(tt.lang)
		if got := l.Date(day); got != tt.date {
			t.Errorf("%s date %q, want %q", tt.lang, got, tt.date)
		}
		if got := l.Group(10); got != tt.group {
			t.Errorf("%s group(10) %q, want %q", tt.lang, got, tt.group)
		}
		if got := l.Group(123456); got != "1,23,456" {
			t.Errorf("%s group(123456) %q", tt.lang, got)
		}
		if got := l.T("in_stock", "Count", 2); !strings.Contains(got, "2") {
			t.Errorf("%s plural %q", tt.lang, got)
		}
	}
	if got := tr.fromAcceptLanguage("bn-IN,bn;q=0.9,en;q=0.5"); got != "bn" {
		t.Errorf("Accept-Language bn-IN → %q", got)
	}
	if got := tr.fromAcceptLanguage("hi"); got != "hi" {
		t.Errorf("Accept-Language hi → %q", got)
	}
	if got := tr.fromAcceptLanguage("fr-FR"); got != "en" && got != "" {
		t.Errorf("Accept-Language fr → %q", got)
	}
}

// TestCataloguesComplete: every message in English exists in Hindi and Bengali and is translated
// (not left in English), and every message the pages ask for exists.
func TestCataloguesComplete(t *testing.T) {
	tr, err := newTranslator()
	if err != nil {
		t.Fatal(err)
	}
	en := tr.keys["en"]
	if len(en) < 300 {
		t.Fatalf("English catalogue has only %d messages", len(en))
	}
	enLoc := tr.loc("en")
	// Strings that are the same in every language (codes, names, formats).
	same := map[string]bool{"site_name": false, "product_stock_hint": true, "followup_months": false}
	for _, lang := range []string{"hi", "bn"} {
		l := tr.loc(lang)
		var missing, untranslated []string
		for k := range en {
			if !tr.keys[lang][k] {
				missing = append(missing, k)
				continue
			}
			if !same[k] && l.T(k, "Count", 2) == enLoc.T(k, "Count", 2) && regexp.MustCompile(`[a-z]{3}`).MatchString(enLoc.T(k)) {
				untranslated = append(untranslated, k)
			}
		}
		for k := range tr.keys[lang] {
			if !en[k] {
				missing = append(missing, "extra:"+k)
			}
		}
		sort.Strings(missing)
		sort.Strings(untranslated)
		if len(missing) > 0 {
			t.Errorf("%s catalogue differs from English: %v", lang, missing)
		}
		if len(untranslated) > 0 {
			t.Errorf("%s messages still in English: %v", lang, untranslated)
		}
	}
	// Every key a template or handler names literally.
	used := map[string]bool{}
	keyRE := regexp.MustCompile(`\.T "([a-z0-9_]+)"`)
	_ = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := templateFS.ReadFile(p)
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return nil
	})
	goRE := regexp.MustCompile(`\.T\("([a-z0-9_]+)"[,)]`)
	flashRE := regexp.MustCompile(`redirectFlash\(c, [^,]+, "([a-z_]+)"\)`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, m := range goRE.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		for _, m := range flashRE.FindAllStringSubmatch(string(b), -1) {
			used["flash_"+m[1]] = true
		}
	}
	for _, prefix := range []string{"wage_maker", "wage_materials", "wage_program", "wage_fees", "sort_relevance", "sort_newest", "sort_price_asc", "sort_price_desc"} {
		used[prefix] = true
	}
	var unknown []string
	for k := range used {
		if !en[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Errorf("pages use messages that are not in the catalogue: %v", unknown)
	}
}
