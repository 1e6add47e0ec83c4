package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/app"
	"github.com/fairhands/marketplace/app/apptest"
	"github.com/fairhands/marketplace/payments/stripetest"
)

// Rough edges of the JSON API: how it answers uploads it cannot read, empty lists, query
// parameters it cannot use, methods a path does not take, and webhook bodies that are not events.

// edgeBoundary is the multipart boundary of the hand-written forms below.
const edgeBoundary = "edgeboundary"

// edgeForm is a multipart/form-data content type with edgeBoundary.
const edgeForm = "multipart/form-data; boundary=" + edgeBoundary

// formField is one hand-written multipart part, without the closing boundary.
func formField(name, value string) string {
	return "--" + edgeBoundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n"
}

// formEnd closes a hand-written multipart form.
const formEnd = "--" + edgeBoundary + "--\r\n"

// rawRequest is a request written byte for byte on its own connection, so a test can send what
// no well-behaved client sends: a body shorter than its Content-Length, or broken chunks.
type rawRequest struct {
	method, path, token, contentType string
	body                             string
	// length is the Content-Length declared; -1 sends body as it is with Transfer-Encoding:
	// chunked (body must then be the chunked encoding itself), 0 declares len(body).
	length int
	// stall keeps the connection open after a short body, as a client on a dying connection
	// does, instead of half-closing it.
	stall bool
}

// sendRaw writes r to the server at base and reads the answer. A body shorter than its
// Content-Length is ended by half-closing the connection, as when a phone loses its signal,
// unless the request stalls.
func sendRaw(t *testing.T, base string, r rawRequest) apptest.Response {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Type: %s\r\n", r.method, r.path, u.Host, r.contentType)
	if r.token != "" {
		fmt.Fprintf(&head, "Authorization: Bearer %s\r\n", r.token)
	}
	switch {
	case r.length < 0:
		head.WriteString("Transfer-Encoding: chunked\r\n")
	case r.length == 0:
		fmt.Fprintf(&head, "Content-Length: %d\r\n", len(r.body))
	default:
		fmt.Fprintf(&head, "Content-Length: %d\r\n", r.length)
	}
	head.WriteString("\r\n")
	w := bufio.NewWriter(conn)
	_, _ = w.WriteString(head.String())
	_, _ = w.WriteString(r.body)
	if err := w.Flush(); err != nil { // the server may answer before it has read everything
		t.Logf("send %s %s: %v", r.method, r.path, err)
	}
	if r.length > len(r.body) && !r.stall {
		_ = conn.(*net.TCPConn).CloseWrite()
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to %s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := apptest.Response{Status: res.StatusCode, Header: res.Header, Body: b}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(b, &out.JSON)
	}
	return out
}

// errMessage returns error.message of an error body.
func errMessage(r apptest.Response) string {
	m, _ := errOf(r)["message"].(string)
	return m
}

// countDocs counts the documents of the named collections.
func countDocs(t *testing.T, e *apptest.Env, colls ...string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, c := range colls {
		n, err := e.DB.Read(c).CountDocuments(context.Background(), bson.M{})
		if err != nil {
			t.Fatalf("count %s: %v", c, err)
		}
		out[c] = n
	}
	return out
}

// TestUploadReadErrors: a failure to read an upload's body is the sender's, told apart by what
// went wrong (never by the error's text) in the same way on the product-photo and the
// evidence routes: over the cap is a 413 giving the cap, cut short is upload_incomplete, broken
// framing is invalid_form. Nothing is stored, and nothing is a 500.
func TestUploadReadErrors(t *testing.T) {
	t.Parallel()
	w := newTrWorld(t)
	e := w.e
	trackID, ms := w.createTrack(w.p1, w.c1, goldsmithing())
	en := w.enroll(trackID, w.m1, w.c1)
	product := e.Must(http.StatusCreated, "POST", "/api/v1/products", w.m1t, earrings()).Str("id")

	// A half-closed connection cancels the request's context as soon as its body has been read.
	// apptest's server reads the whole body (to check it against the description) before the app
	// authenticates the request, so cut-short bodies go to a server over the app's own handler,
	// which reads the body only where the route does. Every other request goes through apptest.
	direct := httptest.NewServer(e.App.Handler)
	t.Cleanup(direct.Close)

	images := "/api/v1/products/" + product + "/images"
	evidence := "/api/v1/enrollments/" + en + "/milestones/" + ms[2] + "/evidence"
	signOff := "/api/v1/enrollments/" + en + "/milestones/" + ms[2] + "/complete"
	// A caption field the routes do not read: it is skipped, so a body cut short inside it is
	// found by the multipart reader looking for the next part.
	cutInSkippedField := "--" + edgeBoundary + "\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\nTen even, closed joi"
	// A part whose header line is not a header: the form's framing is broken.
	brokenHeader := "--" + edgeBoundary + "\r\nthis line is not a header\r\n\r\nx\r\n" + formEnd
	// Over the 11 MB upload cap in a field that is not the photo, so the cap (not the photo's own
	// 10 MB limit) is what refuses it.
	overCap := formField("caption", strings.Repeat("a", 11<<20+100)) + formEnd
	// Chunked framing whose chunk size is not hexadecimal.
	brokenChunks := "4\r\n\xff\xd8\xff\xe0\r\nzz\r\nnot a chunk\r\n0\r\n\r\n"

	watched := []string{"images.files", "products", "evidence.files", "training_evidence", "training_enrollments"}
	before := countDocs(t, e, watched...)
	for _, tc := range []struct {
		name     string
		req      rawRequest
		status   int
		code     string
		mentions string
	}{
		{"product photo: cut short in a field it skips", rawRequest{method: "POST", path: images, token: w.m1t, contentType: edgeForm,
			body: cutInSkippedField, length: len(cutInSkippedField) + 500}, 400, "upload_incomplete", "cut short"},
		{"evidence form: cut short in a field it skips", rawRequest{method: "POST", path: evidence, token: w.c1, contentType: edgeForm,
			body: cutInSkippedField, length: len(cutInSkippedField) + 500}, 400, "upload_incomplete", "cut short"},
		{"sign-off form: cut short in a field it skips", rawRequest{method: "POST", path: signOff, token: w.c1, contentType: edgeForm,
			body: cutInSkippedField, length: len(cutInSkippedField) + 500}, 400, "upload_incomplete", "cut short"},
		{"product photo: broken part header", rawRequest{method: "POST", path: images, token: w.m1t, contentType: edgeForm,
			body: brokenHeader}, 400, "invalid_form", "field named image"},
		{"evidence form: broken part header", rawRequest{method: "POST", path: evidence, token: w.c1, contentType: edgeForm,
			body: brokenHeader}, 400, "invalid_form", "field named photo"},
		{"evidence photo as the body: broken chunks", rawRequest{method: "POST", path: evidence, token: w.c1, contentType: "image/jpeg",
			body: brokenChunks, length: -1}, 400, "invalid_form", "request body"},
		{"product photo: form over the upload cap", rawRequest{method: "POST", path: images, token: w.m1t, contentType: edgeForm,
			body: overCap}, 413, "body_too_large", "11 MB"},
		{"evidence form: form over the upload cap", rawRequest{method: "POST", path: evidence, token: w.c1, contentType: edgeForm,
			body: overCap}, 413, "body_too_large", "11 MB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := e.Server.URL
			if tc.req.length > len(tc.req.body) {
				base = direct.URL
			}
			r := sendRaw(t, base, tc.req)
			if r.Status != tc.status || r.ErrCode() != tc.code {
				t.Fatalf("status %d code %q, want %d %q: %.300s", r.Status, r.ErrCode(), tc.status, tc.code, r.Body)
			}
			if !strings.Contains(errMessage(r), tc.mentions) {
				t.Errorf("message %q does not mention %q", errMessage(r), tc.mentions)
			}
		})
	}
	t.Run("an upload slower than the server's read timeout", func(t *testing.T) {
		slow := httptest.NewUnstartedServer(e.App.Handler)
		slow.Config.ReadTimeout = time.Second // production allows a minute
		slow.Start()
		defer slow.Close()
		photo := string(trPhotoWithEXIF(t))
		for _, req := range []rawRequest{
			{method: "POST", path: evidence, token: w.c1, contentType: "image/jpeg", body: photo[:len(photo)/2], length: len(photo), stall: true},
			{method: "POST", path: images, token: w.m1t, contentType: edgeForm, body: cutInSkippedField, length: len(cutInSkippedField) + 500, stall: true},
		} {
			r := sendRaw(t, slow.URL, req)
			if r.Status != http.StatusBadRequest || r.ErrCode() != "upload_incomplete" || !strings.Contains(errMessage(r), "took too long") {
				t.Errorf("%s: status %d code %q, want 400 upload_incomplete saying it took too long: %.300s", req.path, r.Status, r.ErrCode(), r.Body)
			}
		}
	})
	if after := countDocs(t, e, watched...); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused uploads stored something: %v → %v", before, after)
	}
	// The routes still take a well-formed upload.
	e.Must(http.StatusCreated, "POST", evidence, w.c1, trPhotoWithEXIF(t))
}

// TestEmptyListsAreArrays: every list endpoint answers "items": [] when there is nothing to
// list, never null.
func TestEmptyListsAreArrays(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	p := e.Program("A program with nothing yet")
	_, coord := e.Coordinator(p)
	maker, makerTok := e.Maker(p, coord)
	_, buyer := e.Buyer()
	track := e.Must(http.StatusCreated, "POST", "/api/v1/programs/"+p+"/tracks", coord, goldsmithing()).Str("id")
	for _, tc := range []struct{ path, token string }{
		{"/api/v1/categories", ""},
		{"/api/v1/orders", buyer},
		{"/api/v1/orders", coord},
		{"/api/v1/orders?status=refunded", e.AdminToken},
		{"/api/v1/makers/" + maker + "/products", makerTok},
		{"/api/v1/programs/" + p + "/review-queue", coord},
		{"/api/v1/makers/" + maker + "/enrollments", coord},
		{"/api/v1/makers/" + maker + "/outcomes", coord},
		{"/api/v1/tracks/" + track + "/sessions", coord},
		{"/api/v1/programs/" + p + "/disbursements", coord},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := e.Must(http.StatusOK, "GET", tc.path, tc.token, nil)
			items, ok := r.JSON["items"].([]any)
			if !ok || len(items) != 0 || !bytes.Contains(r.Body, []byte(`"items":[]`)) {
				t.Fatalf("want \"items\":[], got %s", r.Body)
			}
		})
	}
}

// TestBadQueryParameters: a query parameter with a value the endpoint cannot use is a 400
// naming the parameter and what it allows, never silently read as its default; good values
// still work.
func TestBadQueryParameters(t *testing.T) {
	t.Parallel()
	w := newTrWorld(t)
	e := w.e
	trackID, ms := w.createTrack(w.p1, w.c1, goldsmithing())
	en := w.enroll(trackID, w.m1, w.c1)
	ev := e.Must(http.StatusCreated, "POST", "/api/v1/enrollments/"+en+"/milestones/"+ms[2]+"/evidence", w.c1, trPhotoWithEXIF(t)).Str("url")
	if ev == "" {
		t.Fatal("uploaded evidence has no url")
	}
	audit := "/api/v1/programs/" + w.p1 + "/audit"

	for _, tc := range []struct {
		path, token, param, says string
	}{
		{"/api/v1/orders?limit=abc", w.buyer, "limit", "from 1 to 200"},
		{"/api/v1/orders?limit=0", w.buyer, "limit", "from 1 to 200"},
		{"/api/v1/orders?limit=201", w.c1, "limit", "from 1 to 200"},
		{"/api/v1/orders?limit=1.5", e.AdminToken, "limit", "from 1 to 200"},
		{"/api/v1/orders?limit=99999999999999999999", e.AdminToken, "limit", "from 1 to 200"},
		{"/api/v1/orders?offset=-1", w.buyer, "offset", "at least 0"},
		{"/api/v1/orders?offset=ten", w.buyer, "offset", "at least 0"},
		{"/api/v1/orders?status=lost", w.c1, "status", "pending_payment"},
		{"/api/v1/orders?status[$ne]=x&status=PAID", w.c1, "status", "one of"},
		{ev + "?w=wide", w.c1, "w", "at least 1"},
		{ev + "?w=-320", w.c1, "w", "at least 1"},
		{audit + "?format=xml", w.c1, "format", "json, csv"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := e.Must(http.StatusBadRequest, "GET", tc.path, tc.token, nil)
			fields, _ := errOf(r)["fields"].(map[string]any)
			says, _ := fields[tc.param].(string)
			if r.ErrCode() != "invalid_fields" || !strings.Contains(says, tc.says) {
				t.Fatalf("want invalid_fields naming %s (%q), got %s", tc.param, tc.says, r.Body)
			}
		})
	}
	t.Run("several bad parameters are named together", func(t *testing.T) {
		r := e.Must(http.StatusBadRequest, "GET", "/api/v1/orders?limit=x&offset=y&status=z", w.buyer, nil)
		if fields, _ := errOf(r)["fields"].(map[string]any); len(fields) != 3 {
			t.Fatalf("want limit, offset and status named: %s", r.Body)
		}
	})
	t.Run("good values still work", func(t *testing.T) {
		e.Must(http.StatusOK, "GET", "/api/v1/orders?limit=1&offset=0&status=paid", w.buyer, nil)
		e.Must(http.StatusOK, "GET", "/api/v1/orders?limit=200&offset=5", e.AdminToken, nil)
		e.Must(http.StatusOK, "GET", ev+"?w=320", w.c1, nil)
		e.Must(http.StatusOK, "GET", audit+"?format=json", w.c1, nil)
		if r := e.Must(http.StatusOK, "GET", audit+"?format=csv", w.c1, nil); !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("audit csv: %s", r.Header.Get("Content-Type"))
		}
	})
}

// TestWrongMethodIs405: a method a path does not take answers 405 with an Allow header and the
// JSON error body, on the API and on the web pages alike, while every route keeps its handler.
// The requests go to the app's handler directly: apptest's description check knows no
// operation for a method a path does not take.
func TestWrongMethodIs405(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	serve := func(method, path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		rec := httptest.NewRecorder()
		e.App.Handler.ServeHTTP(rec, req)
		return rec
	}
	for _, tc := range []struct {
		method, path string
		allow        []string
	}{
		{"DELETE", "/api/v1/products", []string{"GET", "POST"}},
		{"PUT", "/api/v1/categories", []string{"GET"}},
		{"GET", "/api/v1/auth/login", []string{"POST"}},
		{"PATCH", "/api/v1/orders/some-order/ship", []string{"POST"}},
		{"POST", "/api/v1/products/some-product/private", []string{"GET"}},
		{"DELETE", "/healthz", []string{"GET"}},
		{"POST", "/impact", []string{"GET"}}, // a web page
		{"PUT", "/cart", []string{"GET", "POST"}},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := serve(tc.method, tc.path)
			if !strings.HasPrefix(tc.path, "/api/") && tc.path != "/healthz" {
				// A web page answers with the site's HTML page, which offers the way on.
				if rec.Code != http.StatusMethodNotAllowed || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
					!strings.Contains(rec.Body.String(), `href="/"`) {
					t.Fatalf("web page: status %d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
				}
				for _, m := range tc.allow {
					if !strings.Contains(", "+rec.Header().Get("Allow")+", ", ", "+m+", ") {
						t.Errorf("Allow %q lacks %s", rec.Header().Get("Allow"), m)
					}
				}
				return
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			if rec.Code != http.StatusMethodNotAllowed || body.Error.Code != "method_not_allowed" ||
				!strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("status %d, want 405 with code method_not_allowed: %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			allow := strings.Split(rec.Header().Get("Allow"), ", ")
			for _, m := range tc.allow {
				if !strings.Contains(", "+rec.Header().Get("Allow")+", ", ", "+m+", ") {
					t.Errorf("Allow %q lacks %s", allow, m)
				}
				if !strings.Contains(body.Error.Message, m) {
					t.Errorf("message %q does not say %s is allowed", body.Error.Message, m)
				}
			}
			if strings.Contains(rec.Header().Get("Allow"), tc.method) {
				t.Errorf("Allow %q lists the refused method", allow)
			}
		})
	}
	t.Run("routes still answer their own methods", func(t *testing.T) {
		for _, tc := range []struct {
			method, path string
			status       int
		}{
			{"GET", "/api/v1/products", http.StatusOK},
			{"GET", "/api/v1/categories", http.StatusOK},
			{"GET", "/healthz", http.StatusOK},
			{"GET", "/impact", http.StatusOK},
			{"GET", "/cart", http.StatusOK},
			{"GET", "/api/v1/no-such-endpoint", http.StatusNotFound},
			{"DELETE", "/no-such-page", http.StatusNotFound},
		} {
			if rec := serve(tc.method, tc.path); rec.Code != tc.status {
				t.Errorf("%s %s: %d, want %d: %.200s", tc.method, tc.path, rec.Code, tc.status, rec.Body)
			}
		}
	})
}

// TestWebhookBodyNotAnEvent: a correctly signed delivery whose body is not a Stripe event is a
// 400 invalid_payload (not bad_signature, which sends whoever reads the logs to rotate secrets
// for nothing), and changes nothing.
func TestWebhookBodyNotAnEvent(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, func(c *app.Config) { c.StripeWebhookSecret = stripetest.WebhookSecret })
	deliver := func(payload []byte, signature string) apptest.Response {
		req, _ := http.NewRequest("POST", e.Server.URL+"/api/v1/stripe/webhook", bytes.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", signature)
		return e.Send(req)
	}
	for _, tc := range []struct {
		name    string
		payload string
	}{
		{"cut-off JSON", `{"id":"evt_cut","object":"event","type":"customer.created","data":{"object":`},
		{"not JSON at all", `id=evt_1&type=customer.created`},
		{"a JSON array", `[{"id":"evt_1"}]`},
		{"a field of the wrong type", `{"id":"evt_wrong","object":"event","type":"customer.created","created":"yesterday","data":{"object":{}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := deliver([]byte(tc.payload), stripetest.Sign([]byte(tc.payload), stripetest.WebhookSecret))
			if r.Status != http.StatusBadRequest || r.ErrCode() != "invalid_payload" {
				t.Fatalf("status %d code %q, want 400 invalid_payload: %s", r.Status, r.ErrCode(), r.Body)
			}
		})
	}
	t.Run("a well-formed event with a wrong signature is still bad_signature", func(t *testing.T) {
		payload := stripetest.Event("evt_edges_forged", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}, time.Now())
		r := deliver(payload, stripetest.Sign(payload, "whsec_someone_else"))
		if r.Status != http.StatusBadRequest || r.ErrCode() != "bad_signature" {
			t.Fatalf("status %d code %q, want 400 bad_signature: %s", r.Status, r.ErrCode(), r.Body)
		}
	})
	if n := countDocs(t, e, "stripe_events")["stripe_events"]; n != 0 {
		t.Fatalf("refused deliveries recorded %d events", n)
	}
	t.Run("a well-formed signed event is accepted", func(t *testing.T) {
		payload := stripetest.Event("evt_edges_ok", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}, time.Now())
		if r := deliver(payload, stripetest.Sign(payload, stripetest.WebhookSecret)); r.Status != http.StatusOK {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})
}
