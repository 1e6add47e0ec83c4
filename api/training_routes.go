package api

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/training"
)

// maxUploadBody caps a request carrying an evidence photo: the photo plus form fields.
const maxUploadBody = training.MaxEvidenceBytes + 1<<20

// evidenceBody gives a photo upload its own cap in place of the JSON cap, starting from the body
// as it was before limitBody wrapped it (kept under ctxRawBody; MaxBytesReaders nest, so the
// inner 1 MB cap would otherwise win).
func evidenceBody(c *gin.Context) {
	body := c.Request.Body
	if raw, ok := c.Get(ctxRawBody); ok {
		if rc, ok := raw.(io.ReadCloser); ok && rc != nil {
			body = rc
		}
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, body, maxUploadBody)
}

// trainingRoutes lists the training endpoints: tracks, enrolments, sign-offs with evidence,
// attendance, outcomes, reports, selling gates and certificates (verification is public).
func (s *Server) trainingRoutes(g *gin.RouterGroup) {
	auth := requireLogin
	g.POST("/programs/:id/tracks", auth, s.createTrack)
	g.GET("/programs/:id/tracks", auth, s.listTracks)
	g.GET("/programs/:id/training-report", auth, s.trainingReport)
	g.GET("/programs/:id/selling-gates", auth, s.getSellingGates)
	g.PUT("/programs/:id/selling-gates", auth, s.putSellingGates)

	g.GET("/tracks/:id", auth, s.getTrack)
	g.PATCH("/tracks/:id", auth, s.editTrack)
	g.POST("/tracks/:id/enrollments", auth, s.enroll)
	g.POST("/tracks/:id/sessions", auth, s.recordSession)
	g.GET("/tracks/:id/sessions", auth, s.listSessions)

	g.GET("/enrollments/:id", auth, s.getEnrollment)
	g.POST("/enrollments/:id/withdraw", auth, s.withdrawEnrollment)
	g.POST("/enrollments/:id/milestones/:milestoneId/complete", auth, s.signOffMilestone)
	g.POST("/enrollments/:id/milestones/:milestoneId/undo", auth, s.undoMilestone)
	g.POST("/enrollments/:id/milestones/:milestoneId/evidence", auth, s.uploadLimit.limit(), s.uploadEvidence)
	g.GET("/enrollments/:id/certificate", auth, s.getCertificate)
	g.PUT("/enrollments/:id/certificate-name", auth, s.setCertificateName)
	g.GET("/evidence/:id", auth, s.getEvidence)
	g.GET("/certificates/:code", s.verifyCertificate)

	g.GET("/makers/:id/enrollments", auth, s.makerEnrollments)
	g.POST("/makers/:id/outcomes", auth, s.recordOutcome)
	g.GET("/makers/:id/outcomes", auth, s.listOutcomes)
}

// writeResult writes v with status, or the error.
func writeResult(c *gin.Context, status int, v any, err error) {
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(status, v)
}

func (s *Server) createTrack(c *gin.Context) {
	var in training.TrackInput
	if !bindJSON(c, &in) {
		return
	}
	t, err := s.Training.CreateTrack(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	writeResult(c, http.StatusCreated, t, err)
}

func (s *Server) listTracks(c *gin.Context) {
	ts, err := s.Training.Tracks(c.Request.Context(), ActorOf(c), c.Param("id"))
	writeResult(c, http.StatusOK, itemsBody(ts), err)
}

func (s *Server) getTrack(c *gin.Context) {
	v := 0
	if q := c.Query("version"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 {
			Fail(c, faultFields(map[string]string{"version": "must be a version number (1, 2, …)"}))
			return
		}
		v = n
	}
	t, err := s.Training.Track(c.Request.Context(), ActorOf(c), c.Param("id"), v)
	writeResult(c, http.StatusOK, t, err)
}

func (s *Server) editTrack(c *gin.Context) {
	var in training.TrackEdit
	if !bindJSON(c, &in) {
		return
	}
	t, err := s.Training.EditTrack(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	writeResult(c, http.StatusOK, t, err)
}

func (s *Server) enroll(c *gin.Context) {
	var in training.EnrollInput
	if !bindJSON(c, &in) {
		return
	}
	e, err := s.Training.Enroll(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	if err != nil {
		Fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": e.ID, "trackId": e.TrackID, "trackVersion": e.TrackVersion,
		"makerId": e.MakerID, "status": e.Status, "enrolledOn": training.DayOf(e.EnrolledOn)})
}

func (s *Server) recordSession(c *gin.Context) {
	var in training.SessionInput
	if !bindJSON(c, &in) {
		return
	}
	v, err := s.Training.RecordSession(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	writeResult(c, http.StatusCreated, v, err)
}

func (s *Server) listSessions(c *gin.Context) {
	vs, err := s.Training.Sessions(c.Request.Context(), ActorOf(c), c.Param("id"))
	writeResult(c, http.StatusOK, itemsBody(vs), err)
}

func (s *Server) getEnrollment(c *gin.Context) {
	p, err := s.Training.EnrollmentDetail(c.Request.Context(), ActorOf(c), c.Param("id"))
	writeResult(c, http.StatusOK, p, err)
}

func (s *Server) withdrawEnrollment(c *gin.Context) {
	var in training.WithdrawInput
	if !bindOptionalBody(c, &in) {
		return
	}
	p, err := s.Training.Withdraw(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	writeResult(c, http.StatusOK, p, err)
}

// signOffMilestone takes JSON, or a multipart form with the same fields and the photo in "photo".
func (s *Server) signOffMilestone(c *gin.Context) {
	var in training.SignOffInput
	var photo io.Reader
	if isMultipartForm(c) {
		form, err := readEvidenceForm(c, "completedOn", "notes", "score", "evidenceId")
		if err != nil {
			Fail(c, err)
			return
		}
		in.CompletedOn, in.Notes, in.EvidenceID = form.values["completedOn"], form.values["notes"], form.values["evidenceId"]
		if v := strings.TrimSpace(form.values["score"]); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				Fail(c, faultFields(map[string]string{"score": "must be a whole number"}))
				return
			}
			in.Score = &n
		}
		if form.photo != nil {
			photo = bytes.NewReader(form.photo)
		}
	} else if !bindOptionalBody(c, &in) {
		return
	}
	p, err := s.Training.SignOff(c.Request.Context(), ActorOf(c), c.Param("id"), c.Param("milestoneId"), in, photo)
	writeResult(c, http.StatusOK, p, err)
}

func (s *Server) undoMilestone(c *gin.Context) {
	var in training.UndoInput
	if !bindJSON(c, &in) {
		return
	}
	p, err := s.Training.Undo(c.Request.Context(), ActorOf(c), c.Param("id"), c.Param("milestoneId"), in)
	writeResult(c, http.StatusOK, p, err)
}

// uploadEvidence takes the photo as a multipart form field "photo" or as the raw request body.
func (s *Server) uploadEvidence(c *gin.Context) {
	var photo io.Reader
	var body *bodyReadTracker // the raw body, to tell a failed read from the service's own errors
	if isMultipartForm(c) {
		form, err := readEvidenceForm(c)
		if err != nil {
			Fail(c, err)
			return
		}
		if form.photo == nil {
			Fail(c, faultFields(map[string]string{"photo": "is required: attach the photo of the work"}))
			return
		}
		photo = bytes.NewReader(form.photo)
	} else {
		evidenceBody(c)
		body = &bodyReadTracker{r: c.Request.Body}
		photo = body
	}
	v, err := s.Training.UploadEvidence(c.Request.Context(), ActorOf(c), c.Param("id"), c.Param("milestoneId"), photo)
	if body != nil {
		err = body.readFailure(err, evidenceBodyHint)
	}
	writeResult(c, http.StatusCreated, v, err)
}

func (s *Server) getEvidence(c *gin.Context) {
	bad := map[string]string{}
	w := queryInt(c, "w", 0, 1, math.MaxInt32, bad) // absent: the largest size
	if err := fault.Fields(bad); err != nil {
		Fail(c, err)
		return
	}
	rc, f, err := s.Training.EvidencePhoto(c.Request.Context(), ActorOf(c), c.Param("id"), int(w))
	if err != nil {
		Fail(c, err)
		return
	}
	defer rc.Close()
	h := c.Writer.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("Cache-Control", "private, no-store") // a photo of a survivor's work: never in shared caches
	h.Set("Content-Disposition", "inline")
	h.Set("X-Image-Width", strconv.Itoa(f.Width))
	c.Status(http.StatusOK)
	if _, err := io.Copy(c.Writer, rc); err != nil {
		logger(c).Warn("send evidence photo", "err", err.Error())
	}
}

// getCertificate answers JSON by default, the printable page with ?format=html and a PDF with
// ?format=pdf.
func (s *Server) getCertificate(c *gin.Context) {
	d, err := s.Training.EnrollmentCertificate(c.Request.Context(), ActorOf(c), c.Param("id"))
	if err != nil {
		Fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, no-store")
	switch c.Query("format") {
	case "", "json":
		c.JSON(http.StatusOK, d)
	case "html":
		nonce := cspNonce()
		c.Header("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		var buf bytes.Buffer
		if err := training.WriteCertificateHTML(&buf, d, nonce); err != nil {
			Fail(c, err)
			return
		}
		c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
	case "pdf":
		pdf, err := training.CertificatePDF(d)
		if err != nil {
			Fail(c, err)
			return
		}
		c.Header("Content-Disposition", `inline; filename="certificate-`+d.Code+`.pdf"`)
		c.Data(http.StatusOK, "application/pdf", pdf)
	default:
		Fail(c, faultFields(map[string]string{"format": "must be json, html or pdf"}))
	}
}

func (s *Server) setCertificateName(c *gin.Context) {
	var in training.CertificateNameInput
	if !bindJSON(c, &in) {
		return
	}
	d, err := s.Training.SetCertificateName(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	writeResult(c, http.StatusOK, d, err)
}

// verifyCertificate is public: anyone holding a code sees the certificate's fields, nothing else.
func (s *Server) verifyCertificate(c *gin.Context) {
	cert, err := s.Training.VerifyCertificate(c.Request.Context(), c.Param("code"))
	c.Header("Cache-Control", "no-store") // a revocation or a withdrawn consent shows at once
	writeResult(c, http.StatusOK, cert, err)
}

func (s *Server) makerEnrollments(c *gin.Context) {
	ps, err := s.Training.MakerProgress(c.Request.Context(), ActorOf(c), c.Param("id"))
	writeResult(c, http.StatusOK, itemsBody(ps), err)
}

func (s *Server) recordOutcome(c *gin.Context) {
	var in training.OutcomeInput
	if !bindJSON(c, &in) {
		return
	}
	o, err := s.Training.RecordOutcome(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	writeResult(c, http.StatusCreated, o, err)
}

func (s *Server) listOutcomes(c *gin.Context) {
	os, err := s.Training.Outcomes(c.Request.Context(), ActorOf(c), c.Param("id"))
	writeResult(c, http.StatusOK, itemsBody(os), err)
}

// trainingReport answers JSON, or CSV with ?format=csv for funders and spreadsheets.
func (s *Server) trainingReport(c *gin.Context) {
	ctx, actor, id := c.Request.Context(), ActorOf(c), c.Param("id")
	c.Header("Cache-Control", "private, no-store")
	switch c.Query("format") {
	case "", "json":
		r, err := s.Training.ProgramReport(ctx, actor, id)
		writeResult(c, http.StatusOK, r, err)
	case "csv":
		var buf bytes.Buffer
		if err := s.Training.ExportReport(ctx, actor, id, &buf); err != nil {
			Fail(c, err)
			return
		}
		c.Header("Content-Disposition", `attachment; filename="training-report.csv"`)
		c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	default:
		Fail(c, faultFields(map[string]string{"format": "must be json or csv"}))
	}
}

func (s *Server) getSellingGates(c *gin.Context) {
	gs, err := s.Training.Gates(c.Request.Context(), ActorOf(c), c.Param("id"))
	writeResult(c, http.StatusOK, gin.H{"gates": jsonList(gs)}, err)
}

func (s *Server) putSellingGates(c *gin.Context) {
	var in training.GatesInput
	if !bindJSON(c, &in) {
		return
	}
	gs, err := s.Training.SetGates(c.Request.Context(), ActorOf(c), c.Param("id"), in)
	writeResult(c, http.StatusOK, gin.H{"gates": jsonList(gs)}, err)
}

// bindOptionalBody is bindJSON for endpoints whose fields are all optional: an empty body is {}.
func bindOptionalBody(c *gin.Context, v any) bool {
	if c.Request.ContentLength == 0 {
		return true
	}
	return bindJSON(c, v)
}

func isMultipartForm(c *gin.Context) bool {
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	return mt == "multipart/form-data"
}

type evidenceForm struct {
	values map[string]string
	photo  []byte
}

// readEvidenceForm reads a multipart form: the named text fields (up to 8 KB each) and the file in
// "photo" (up to the evidence cap), without spooling anything to disk.
func readEvidenceForm(c *gin.Context, fields ...string) (evidenceForm, error) {
	evidenceBody(c)
	form := evidenceForm{values: map[string]string{}}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return form, fault.New(fault.Invalid, "invalid_form", "the upload is not a readable multipart form: %s", evidenceFormHint)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return form, nil
		}
		if err != nil {
			return form, uploadReadError(err, evidenceFormHint)
		}
		name := part.FormName()
		switch {
		case name == "photo":
			b, err := io.ReadAll(io.LimitReader(part, training.MaxEvidenceBytes+1))
			if err != nil {
				return form, uploadReadError(err, evidenceFormHint)
			}
			if len(b) > training.MaxEvidenceBytes {
				return form, fault.New(fault.TooLarge, "photo_too_large", "the photo is larger than %d MB: please send a smaller one", training.MaxEvidenceBytes>>20)
			}
			form.photo = b
		case slices.Contains(fields, name):
			b, err := io.ReadAll(io.LimitReader(part, 8<<10+1))
			if err != nil {
				return form, uploadReadError(err, evidenceFormHint)
			}
			if len(b) > 8<<10 {
				return form, faultFields(map[string]string{name: "is too long"})
			}
			form.values[name] = string(b)
		}
		_ = part.Close()
	}
}

// How to send an evidence photo, for an upload that cannot be read: as a form, or as the body.
const (
	evidenceFormHint = "send a multipart/form-data form with the photo as a file in the field named photo"
	evidenceBodyHint = "send the photo's bytes as the request body, or as a file in a multipart/form-data field named photo"
)

func cspNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawStdEncoding.EncodeToString(b)
}
