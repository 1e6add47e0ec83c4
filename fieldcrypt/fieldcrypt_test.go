package fieldcrypt_test

import (
	"strings"
	"testing"

	"github.com/fairhands/marketplace/fieldcrypt"
)

func TestSealOpen(t *testing.T) {
	key, err := fieldcrypt.ParseKey(fieldcrypt.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	box, _ := fieldcrypt.New(key)
	for _, pt := range []string{"Rina Das", "+91 98300 00000", "", "বাংলা নাম"} {
		s := box.Seal(pt)
		if pt != "" && strings.Contains(s, pt) {
			t.Fatalf("sealed value contains the plaintext: %q", s)
		}
		got, err := box.Open(s)
		if err != nil || got != pt {
			t.Fatalf("Open(Seal(%q)) = %q, %v", pt, got, err)
		}
	}
	if box.Seal("x") == box.Seal("x") {
		t.Fatal("two seals of the same value are equal: nonce reused")
	}
	other, _ := fieldcrypt.New(make([]byte, 32))
	if _, err := other.Open(box.Seal("secret")); err == nil {
		t.Fatal("a different key opened the value")
	}
	if _, err := fieldcrypt.ParseKey("short"); err == nil {
		t.Fatal("short key accepted")
	}
}
