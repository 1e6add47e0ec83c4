package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/fairhands/marketplace/"

// parsed is one package's non-test files.
type parsed struct {
	dir   string
	files map[string]*ast.File
}

func parseDir(t *testing.T, dir string) parsed {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(filepath.Join("..", dir))
	if err != nil {
		t.Fatal(err)
	}
	p := parsed{dir: dir, files: map[string]*ast.File{}}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join("..", dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		p.files[n] = f
	}
	if len(p.files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	return p
}

func imports(f *ast.File) []string {
	var out []string
	for _, im := range f.Imports {
		path, _ := strconv.Unquote(im.Path.Value)
		out = append(out, path)
	}
	return out
}

// TestFacesGoThroughServices: the JSON API and the web pages are two faces over the same
// services. Neither imports the other, neither touches the database, the driver's errors or a
// domain's store, neither uses the unscoped programs registry (which skips the scope checks the
// services make), and Stripe's event format is the payments domain's business alone.
func TestFacesGoThroughServices(t *testing.T) {
	forbiddenImports := map[string][]string{
		"frontend": {module + "api", module + "store", "go.mongodb.org/mongo-driver"},
		"api":      {module + "frontend", module + "store", "go.mongodb.org/mongo-driver", "github.com/stripe/stripe-go"},
	}
	domains := map[string]bool{"accounts": true, "programs": true, "catalog": true, "training": true, "payments": true}
	for face, banned := range forbiddenImports {
		p := parseDir(t, face)
		for name, f := range p.files {
			pkgs := map[string]string{} // local name → import path
			for _, im := range f.Imports {
				path, _ := strconv.Unquote(im.Path.Value)
				for _, b := range banned {
					if path == b || strings.HasPrefix(path, b+"/") {
						t.Errorf("%s/%s imports %s", face, name, path)
					}
				}
				local := filepath.Base(path)
				if im.Name != nil {
					local = im.Name.Name
				}
				pkgs[local] = path
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if sel.Sel.Name == "Registry" {
					t.Errorf("%s/%s uses the unscoped programs registry (.Registry): go through the programs service", face, name)
				}
				if id, ok := sel.X.(*ast.Ident); ok {
					if path, ok := pkgs[id.Name]; ok && domains[strings.TrimPrefix(path, module)] &&
						(strings.HasSuffix(sel.Sel.Name, "Store") || strings.HasPrefix(sel.Sel.Name, "NewStore") ||
							strings.HasSuffix(sel.Sel.Name, "Registry")) {
						t.Errorf("%s/%s reaches a store: %s.%s", face, name, id.Name, sel.Sel.Name)
					}
				}
				return true
			})
		}
	}
}

// TestDomainsKnowNoHTTP: the domains hold their types, rules and storage; they never import gin,
// the HTTP shell or either face.
func TestDomainsKnowNoHTTP(t *testing.T) {
	for _, d := range []string{"accounts", "programs", "catalog", "training", "payments", "audit", "notify", "notices", "makerdata"} {
		p := parseDir(t, d)
		for name, f := range p.files {
			for _, path := range imports(f) {
				if strings.HasPrefix(path, "github.com/gin-gonic/") || path == module+"api" || path == module+"frontend" ||
					path == module+"httpserver" || path == module+"app" {
					t.Errorf("%s/%s imports %s", d, name, path)
				}
			}
		}
	}
}
