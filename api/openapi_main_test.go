package api_test

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/fairhands/marketplace/app/apptest"
)

// TestMain runs the package's tests, every one of which has its API traffic checked against
// api/openapi.json by apptest, and then says which operations of the description no test
// called: those are the parts of the description nothing checks yet.
func TestMain(m *testing.M) {
	code := m.Run()
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
		reportOpenAPICoverage()
	}
	os.Exit(code)
}

func reportOpenAPICoverage() {
	spec, err := apptest.LoadSpec()
	if err != nil {
		return // TestOpenAPIDocument reports it
	}
	seen := apptest.Exercised()
	var never, unseen []string
	ops := spec.Operations()
	documented, answered := 0, 0
	for _, op := range ops {
		if len(seen[op]) == 0 {
			never = append(never, op)
		}
		method, path, _ := strings.Cut(op, " ")
		for status := range spec.Doc.Paths.Find(path).GetOperation(method).Responses.Map() {
			documented++
			if seen[op][status] > 0 {
				answered++
			} else if strings.HasPrefix(status, "2") {
				unseen = append(unseen, op+" "+status)
			}
		}
	}
	sort.Strings(unseen)
	fmt.Printf("openapi: %d of %d operations exercised by this package's tests, %d of %d documented responses seen (all checked against api/openapi.json)\n",
		len(ops)-len(never), len(ops), answered, documented)
	if len(never) > 0 {
		fmt.Printf("openapi: operations never called: %s\n", strings.Join(never, ", "))
	}
	if len(unseen) > 0 {
		fmt.Printf("openapi: success responses never seen: %s\n", strings.Join(unseen, ", "))
	}
}
