package training

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/fairhands/marketplace/accounts"
	"github.com/fairhands/marketplace/fault"
	"github.com/fairhands/marketplace/imaging"
)

// MaxEvidenceBytes caps an evidence photo upload: phone photos are 2–8 MB.
const MaxEvidenceBytes = 10 << 20

// evidenceWidths are the stored sizes: a thumbnail for lists and a size to judge the work by.
var evidenceWidths = []int{320, 1280}

// uploadWait is how long an upload waits for a free image-processing slot before giving up.
const uploadWait = 30 * time.Second

// EvidenceView describes a stored evidence photo.
type EvidenceView struct {
	ID          string         `json:"id"`
	MilestoneID string         `json:"milestoneId"`
	URL         string         `json:"url"`
	Files       []EvidenceFile `json:"sizes"`
}

func (ev Evidence) view() EvidenceView {
	return EvidenceView{ID: ev.ID, MilestoneID: ev.MilestoneID, URL: EvidencePath + ev.ID, Files: ev.Files}
}

// UploadEvidence stores a photo of the work for a milestone before it is signed off, by a
// coordinator or by the maker themself. The photo is re-encoded, so no EXIF (GPS position)
// survives; the sign-off then names it by id.
func (s *Service) UploadEvidence(ctx context.Context, actor accounts.Actor, enrollmentID, milestoneID string, photo io.Reader) (EvidenceView, error) {
	e, err := s.enrollment(ctx, actor, enrollmentID)
	if err != nil {
		return EvidenceView{}, err
	}
	t, err := s.store.Track(ctx, e.TrackID)
	if err != nil {
		return EvidenceView{}, err
	}
	v, _ := t.At(e.TrackVersion)
	if _, ok := v.Milestone(milestoneID); !ok {
		return EvidenceView{}, ErrMilestoneNotFound
	}
	if e.Status != StatusActive {
		return EvidenceView{}, ErrNotActive
	}
	ev, err := s.saveEvidence(ctx, actor, e, milestoneID, photo)
	if err != nil {
		return EvidenceView{}, err
	}
	return ev.view(), nil
}

// saveEvidence processes and stores a photo for a milestone of e, and audits the upload.
func (s *Service) saveEvidence(ctx context.Context, actor accounts.Actor, e Enrollment, milestoneID string, photo io.Reader) (Evidence, error) {
	if s.uploads != nil {
		wait := time.NewTimer(uploadWait)
		defer wait.Stop()
		select {
		case s.uploads <- struct{}{}:
			defer func() { <-s.uploads }()
		case <-wait.C:
			return Evidence{}, ErrUploadsBusy
		case <-ctx.Done():
			return Evidence{}, ctx.Err()
		}
	}
	res, err := imaging.Process(photo, MaxEvidenceBytes, evidenceWidths)
	if err != nil {
		return Evidence{}, photoError(err)
	}
	ev := Evidence{ID: accounts.NewID(), EnrollmentID: e.ID, MilestoneID: milestoneID, MakerID: e.MakerID,
		ProgramID: e.ProgramID, UploadedBy: actor.UserID, UploadedAt: s.now()}
	if err := s.store.SaveEvidence(ctx, &ev, res.Renditions); err != nil {
		return Evidence{}, err
	}
	if err := s.record(ctx, actor, "training.evidence_upload", e.MakerID, e.ProgramID, "enrolment "+e.ID+" milestone "+milestoneID); err != nil {
		return Evidence{}, err
	}
	return ev, nil
}

// photoError turns the imaging errors into answers the uploader can act on; anything else (the
// connection dropped, the body was over the server's cap) is passed on for the caller to map.
func photoError(err error) error {
	switch {
	case errors.Is(err, imaging.ErrTooLarge):
		return &fault.Error{Kind: fault.TooLarge, Code: "photo_too_large", Message: err.Error()}
	case errors.Is(err, imaging.ErrUnsupported):
		return &fault.Error{Kind: fault.Invalid, Code: "photo_unsupported", Message: err.Error()}
	case errors.Is(err, imaging.ErrUndecodable):
		return &fault.Error{Kind: fault.Invalid, Code: "photo_unreadable", Message: err.Error()}
	}
	return fmt.Errorf("read evidence photo: %w", err)
}

// EvidencePhoto opens the stored rendition of an evidence photo closest to width (the largest
// when width is 0), for the maker and their coordinators only; the view is audited.
func (s *Service) EvidencePhoto(ctx context.Context, actor accounts.Actor, id string, width int) (io.ReadCloser, EvidenceFile, error) {
	ev, err := s.store.Evidence(ctx, id)
	if err != nil {
		return nil, EvidenceFile{}, err
	}
	if !actor.IsMaker(ev.MakerID) && !actor.Coordinates(ev.ProgramID) {
		return nil, EvidenceFile{}, ErrEvidenceNotFound
	}
	if len(ev.Files) == 0 {
		return nil, EvidenceFile{}, ErrEvidenceNotFound
	}
	pick := ev.Files[len(ev.Files)-1]
	if width > 0 {
		for _, f := range ev.Files { // ascending: the smallest at least as wide as asked
			if f.Width >= width {
				pick = f
				break
			}
		}
	}
	rc, err := s.store.OpenEvidenceFile(ctx, pick.FileID)
	if err != nil {
		return nil, EvidenceFile{}, err
	}
	if err := s.record(ctx, actor, "training.evidence_read", ev.MakerID, ev.ProgramID, "evidence "+ev.ID); err != nil {
		_ = rc.Close()
		return nil, EvidenceFile{}, err
	}
	return rc, pick, nil
}

// CleanUnattachedEvidence removes photos uploaded before cutoff that no sign-off used (an upload
// abandoned half-way), so private photos do not linger.
func (s *Service) CleanUnattachedEvidence(ctx context.Context, cutoff time.Time) (int, error) {
	evs, err := s.store.EvidenceList(ctx, EvidenceQuery{UnattachedBefore: cutoff})
	if err != nil {
		return 0, err
	}
	for i, ev := range evs {
		if err := s.store.DeleteEvidence(ctx, ev); err != nil {
			return i, err
		}
	}
	return len(evs), nil
}
