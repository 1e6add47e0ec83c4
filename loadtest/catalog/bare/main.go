// Command bare is the yardstick for the storefront load test: a bare Gin handler that answers
// GET /api/v1/products with exactly the bytes the marketplace returned for the same request,
// so the comparison measures what the marketplace does per request, not the size of the answer.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "address to listen on")
	from := flag.String("from", "http://127.0.0.1:18080/api/v1/products", "marketplace URL whose answer to copy")
	flag.Parse()

	res, err := http.Get(*from)
	if err != nil {
		log.Fatalf("fetch %s: %v", *from, err)
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		log.Fatalf("fetch %s: status %d, %v", *from, res.StatusCode, err)
	}
	contentType := res.Header.Get("Content-Type")

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/api/v1/products", func(c *gin.Context) { c.Data(http.StatusOK, contentType, body) })
	srv := &http.Server{Addr: *addr, Handler: r, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(os.Stderr, "bare: serving %d bytes on %s\n", len(body), *addr)
	log.Fatal(srv.ListenAndServe())
}
