package api

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"

	"github.com/fairhands/marketplace/fault"
)

// uploadReadError explains a failure to read an upload's request body (a multipart part
// header, a part's bytes, or a raw photo body). Such a failure is always the sender's, never
// ours: a body over the route's cap is a 413 that gives the cap; a body cut short (a phone that
// lost its signal, a client that lied about the length, an upload slower than the server's read
// timeout) is a 400 upload_incomplete, to send again; anything else (broken multipart or chunked
// framing) is a 400 invalid_form with hint, which says how to send the upload. The kinds of error
// are told apart by type, never by their text.
func uploadReadError(err error, hint string) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return fault.New(fault.TooLarge, "body_too_large",
			"the upload is larger than the limit of %s for this endpoint: please send a smaller photo", sizeText(mbe.Limit))
	case isTimeout(err):
		// The server's read timeout ended a slow upload (a weak phone signal): the sender's to
		// retry, told as such rather than as a broken form.
		return fault.New(fault.Invalid, "upload_incomplete", "the upload took too long and was cut short: please send it again, on a stronger connection if you can")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		// A bare io.EOF is the normal end of a multipart form and never comes here; a wrapped
		// one is the multipart reader saying the body ended before the form's closing boundary.
		return fault.New(fault.Invalid, "upload_incomplete", "the upload was cut short before it ended: please send it again")
	}
	return fault.New(fault.Invalid, "invalid_form", "the upload could not be read: %s", hint)
}

// isTimeout reports whether err is a network read that hit its deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// sizeText writes a byte count the way people read it: whole megabytes when it is whole.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// bodyReadTracker passes reads through and keeps the first error other than io.EOF, so a handler
// can tell, whatever the layers in between made of it, that reading the upload itself failed.
type bodyReadTracker struct {
	r   io.Reader
	err error
}

func (t *bodyReadTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}

// readFailure returns the upload error when reading the body failed, and err otherwise.
func (t *bodyReadTracker) readFailure(err error, hint string) error {
	if err != nil && t.err != nil {
		return uploadReadError(t.err, hint)
	}
	return err
}
