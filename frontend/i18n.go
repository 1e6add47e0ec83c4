package frontend

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/pelletier/go-toml/v2"
	"golang.org/x/text/language"

	"github.com/fairhands/marketplace/money"
)

// Languages are the languages the pages speak, in the order the switch shows them. Every string a
// maker sees exists in each (a test checks the catalogues have the same keys).
var Languages = []Language{
	{Code: "en", Name: "English"},
	{Code: "hi", Name: "हिन्दी"},
	{Code: "bn", Name: "বাংলা"},
}

// Language is one choice in the language switch, named in its own script so anyone can find theirs.
type Language struct{ Code, Name string }

//go:embed locales/*.toml
var localeFS embed.FS

// translator holds the message catalogues, loaded once at start-up.
type translator struct {
	bundle  *i18n.Bundle
	matcher language.Matcher
	// keys lists each language's message ids, for the completeness test.
	keys map[string]map[string]bool
}

func newTranslator() (*translator, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	t := &translator{bundle: b, keys: map[string]map[string]bool{}}
	files, err := fs.Glob(localeFS, "locales/*.toml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		mf, err := b.LoadMessageFileFS(localeFS, f)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", f, err)
		}
		lang := strings.TrimSuffix(path.Base(f), ".toml")
		t.keys[lang] = map[string]bool{}
		for _, m := range mf.Messages {
			t.keys[lang][m.ID] = true
		}
	}
	tags := make([]language.Tag, 0, len(Languages))
	for _, l := range Languages {
		tags = append(tags, language.MustParse(l.Code))
	}
	t.matcher = language.NewMatcher(tags)
	return t, nil
}

// supported reports whether code is one of Languages.
func supported(code string) bool {
	for _, l := range Languages {
		if l.Code == code {
			return true
		}
	}
	return false
}

// fromAcceptLanguage picks the best supported language for an Accept-Language header ("" if none
// fits better than the default).
func (t *translator) fromAcceptLanguage(header string) string {
	if header == "" {
		return ""
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return ""
	}
	_, idx, conf := t.matcher.Match(tags...)
	if conf == language.No {
		return ""
	}
	return Languages[idx].Code
}

// Loc translates and formats for one language; templates call its methods.
type Loc struct {
	Lang string
	loc  *i18n.Localizer
}

func (t *translator) loc(lang string) *Loc {
	return &Loc{Lang: lang, loc: i18n.NewLocalizer(t.bundle, lang, "en")}
}

// T translates message id. Arguments come in name/value pairs for the message's template; a
// "Count" argument also chooses the plural form. A missing message shows its id, so a gap is
// visible rather than silent (and the catalogue test fails first).
func (l *Loc) T(id string, args ...any) string {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		data := make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			k, _ := args[i].(string)
			data[k] = args[i+1]
			if k == "Count" {
				cfg.PluralCount = args[i+1]
			}
		}
		cfg.TemplateData = data
	}
	s, err := l.loc.Localize(cfg)
	if err != nil && s == "" {
		return id
	}
	return s
}

// Has reports whether a message exists (for optional translations of domain error codes).
func (l *Loc) Has(id string) bool {
	_, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: id})
	return err == nil
}

// Cat names a product category in the reader's language, or as stored when the catalogue has no
// name for it (categories are free text).
func (l *Loc) Cat(name string) string {
	key := "cat_" + strings.ReplaceAll(strings.TrimSpace(name), " ", "_")
	if l.Has(key) {
		return l.T(key)
	}
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// Money formats an amount in minor units: ₹1,23,456.00 (see money.Format).
func (l *Loc) Money(minor int64, currency string) string { return money.Format(minor, currency) }

// Num formats a count with Indian grouping (1,23,456), as our readers in India expect.
func (l *Loc) Num(n any) string {
	switch v := n.(type) {
	case int:
		return groupIndian(int64(v))
	case int64:
		return groupIndian(v)
	case float64:
		return groupIndian(int64(v))
	}
	return fmt.Sprint(n)
}

// Group shows a count of people for public pages: any group smaller than 11 is "fewer than 11",
// so no small group can be singled out.
func (l *Loc) Group(n int) string {
	if n < 11 {
		return l.T("fewer_than_11")
	}
	return groupIndian(int64(n))
}

// Date formats a day as "2 January 2026" with the month named in the language.
func (l *Loc) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d %s %d", t.Day(), l.T("month_"+strconv.Itoa(int(t.Month()))), t.Year())
}

// DateTime formats a moment as "2 January 2026, 14:05" (UTC).
func (l *Loc) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	return l.Date(t) + ", " + t.Format("15:04")
}

// Symbol is a currency's sign (₹), or its code when it has none we know.
func (l *Loc) Symbol(currency string) string { return money.Symbol(currency) }

// groupIndian groups digits as lakh and crore: 12,34,56,789.
func groupIndian(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	if len(s) > 3 {
		head, tail := s[:len(s)-3], s[len(s)-3:]
		var parts []string
		for len(head) > 2 {
			parts = append([]string{head[len(head)-2:]}, parts...)
			head = head[:len(head)-2]
		}
		if head != "" {
			parts = append([]string{head}, parts...)
		}
		s = strings.Join(parts, ",") + "," + tail
	}
	if neg {
		return "-" + s
	}
	return s
}

// minorToInput renders minor units for a form field ("1250.50", or "1250" when whole); it is
// the templates' money function.
func minorToInput(minor int64, currency string) string { return money.Input(minor, currency) }
