package training

import (
	"context"
	"crypto/rand"
	"strings"
	"time"
	"unicode"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/programs"
)

// VerifyPath is the public page where anyone checks a certificate by its code.
const VerifyPath = "/verify/"

// IssuedCertificate is what an enrolment's certificate certifies, fixed when it was issued: the
// track version completed, its qualification and the program. The holder's name is not stored
// here: it follows the maker's current choice and consent.
type IssuedCertificate struct {
	Code          string    `bson:"code"` // normalised: 16 characters, no dashes
	TrackName     string    `bson:"trackName"`
	Qualification string    `bson:"qualification,omitempty"`
	ProgramName   string    `bson:"programName"`
	CompletedOn   time.Time `bson:"completedOn"`
	IssuedAt      time.Time `bson:"issuedAt"`
	RevokedAt     time.Time `bson:"revokedAt,omitempty"`
}

// Certificate is everything a certificate shows, and all that its public verification shows:
// the holder as they choose to be named, the track, its qualification, the program and the date.
type Certificate struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	TrackName     string `json:"trackName"`
	Qualification string `json:"qualification,omitempty"`
	ProgramName   string `json:"programName"`
	CompletedOn   Day    `json:"completedOn"`
}

// CertificateDetail is a certificate as its holder and their coordinators see it, with the link
// to give an employer and where the name comes from (chosen, displayName or anonymous).
type CertificateDetail struct {
	Certificate
	EnrollmentID string `json:"enrollmentId"`
	VerifyURL    string `json:"verifyUrl"`
	NameSource   string `json:"nameSource"`
}

// CertificateNameInput sets the name printed on a maker's certificate. An empty name goes back
// to the default: the display name with public-profile consent, otherwise no name.
type CertificateNameInput struct {
	Name string `json:"name" validate:"max=80"`
}

// Where a certificate's name comes from.
const (
	NameChosen    = "chosen"
	NameDisplay   = "displayName"
	NameAnonymous = "anonymous"
)

// codeAlphabet is Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand
// survives the usual confusions.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// codeLen characters of 5 bits each make 80 random bits: unguessable, so codes need no rate limit
// to stay secret, and short enough to type from paper.
const codeLen = 16

// newCertificateCode returns a fresh normalised code.
func newCertificateCode() string {
	b := make([]byte, codeLen)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[b[i]&31]
	}
	return string(b)
}

// formatCode groups a normalised code in fours: "7KQ2-M9XD-4TWB-H3RA".
func formatCode(code string) string {
	var sb strings.Builder
	for i, r := range code {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// normalizeCode reads a code as a person typed it: any case, with or without dashes or spaces,
// O for 0 and I or L for 1. It returns "" for anything that cannot be a code.
func normalizeCode(s string) string {
	var sb strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || unicode.IsSpace(r):
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if !strings.ContainsRune(codeAlphabet, r) {
			return ""
		}
		sb.WriteRune(r)
	}
	if sb.Len() != codeLen {
		return ""
	}
	return sb.String()
}

func (s *Service) verifyURL(code string) string {
	return strings.TrimRight(s.BaseURL, "/") + VerifyPath + formatCode(code)
}

// holderName is the name a certificate shows: the name the maker chose for it, else their
// display name while they consent to a public profile, else no name at all.
func (s *Service) holderName(ctx context.Context, e Enrollment) (string, string, error) {
	m, err := s.programs.Maker(ctx, e.MakerID)
	if err != nil {
		return "", "", err
	}
	if m.Status != "active" {
		return programs.RetiredName, NameAnonymous, nil
	}
	chosen, err := s.open(e.CertificateNameSealed)
	if err != nil {
		return "", "", err
	}
	if chosen != "" {
		return chosen, NameChosen, nil
	}
	if m.Consent.PublicProfile.Active(s.now()) {
		return m.DisplayName, NameDisplay, nil
	}
	return programs.AnonymousName, NameAnonymous, nil
}

func (s *Service) certificateOf(ctx context.Context, e Enrollment) (Certificate, string, error) {
	name, source, err := s.holderName(ctx, e)
	if err != nil {
		return Certificate{}, "", err
	}
	c := e.Certificate
	return Certificate{Code: formatCode(c.Code), Name: name, TrackName: c.TrackName, Qualification: c.Qualification,
		ProgramName: c.ProgramName, CompletedOn: DayOf(c.CompletedOn)}, source, nil
}

// VerifyCertificate answers the public check of a code: the certificate's fields and nothing
// else. A revoked, mistyped or unknown code is ErrCertificateNotFound.
func (s *Service) VerifyCertificate(ctx context.Context, code string) (Certificate, error) {
	norm := normalizeCode(code)
	if norm == "" {
		return Certificate{}, ErrCertificateNotFound
	}
	e, err := s.store.ByCertificate(ctx, norm)
	if err != nil {
		return Certificate{}, err
	}
	c, _, err := s.certificateOf(ctx, e)
	if err != nil {
		return Certificate{}, err
	}
	// Recorded so the holder can see their certificate was checked; only a valid code gets here.
	if err := s.record(ctx, accounts.Actor{}, "training.certificate_verify", e.MakerID, e.ProgramID, "enrolment "+e.ID); err != nil {
		return Certificate{}, err
	}
	return c, nil
}

// EnrollmentCertificate returns the certificate of a completed enrolment to the maker or their
// coordinators; ErrNoCertificate while milestones remain.
func (s *Service) EnrollmentCertificate(ctx context.Context, actor accounts.Actor, id string) (CertificateDetail, error) {
	e, err := s.enrollment(ctx, actor, id)
	if err != nil {
		return CertificateDetail{}, err
	}
	if e.Status != StatusCompleted || e.Certificate == nil {
		return CertificateDetail{}, ErrNoCertificate
	}
	c, source, err := s.certificateOf(ctx, e)
	if err != nil {
		return CertificateDetail{}, err
	}
	if err := s.record(ctx, actor, "training.certificate_read", e.MakerID, e.ProgramID, "enrolment "+e.ID); err != nil {
		return CertificateDetail{}, err
	}
	return CertificateDetail{Certificate: c, EnrollmentID: e.ID, VerifyURL: s.verifyURL(e.Certificate.Code), NameSource: source}, nil
}

// SetCertificateName records the name the maker wants on a certificate, by the maker or a
// coordinator acting for them. It is sealed like other personal details, and shown only on the
// certificate and its verification.
func (s *Service) SetCertificateName(ctx context.Context, actor accounts.Actor, id string, in CertificateNameInput) (CertificateDetail, error) {
	e, err := s.enrollment(ctx, actor, id)
	if err != nil {
		return CertificateDetail{}, err
	}
	in.Name = strings.Join(strings.Fields(in.Name), " ")
	if err := fault.Check(in); err != nil {
		return CertificateDetail{}, err
	}
	if strings.IndexFunc(in.Name, func(r rune) bool { return !unicode.IsPrint(r) || strings.ContainsRune("<>{}", r) }) >= 0 {
		return CertificateDetail{}, fault.Fields(map[string]string{"name": "may contain letters, spaces and ordinary punctuation only"})
	}
	if in.Name != "" && len([]rune(in.Name)) < 2 {
		return CertificateDetail{}, fault.Fields(map[string]string{"name": "must be at least 2 characters"})
	}
	sealed := s.box.Seal(in.Name)
	e, err = s.mutate(ctx, e, func(e *Enrollment) error {
		e.CertificateNameSealed = sealed
		return nil
	})
	if err != nil {
		return CertificateDetail{}, err
	}
	if err := s.record(ctx, actor, "training.certificate_name", e.MakerID, e.ProgramID, "enrolment "+e.ID); err != nil {
		return CertificateDetail{}, err
	}
	if e.Status != StatusCompleted || e.Certificate == nil {
		return CertificateDetail{EnrollmentID: e.ID}, nil
	}
	return s.EnrollmentCertificate(ctx, actor, e.ID)
}
