package training

import (
	"bytes"
	"context"
	"errors"
	"io"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/imaging"
	"github.com/fairhands/marketplace/store"
)

// EvidenceFile is one stored rendition of an evidence photo.
type EvidenceFile struct {
	Width  int    `bson:"width" json:"width"`
	Height int    `bson:"height" json:"height"`
	FileID string `bson:"fileId" json:"-"`
}

// Evidence is a photo of a maker's work uploaded for a milestone, re-encoded without metadata
// and kept in GridFS. It is private: only the maker and their coordinators may fetch it. An
// upload is attached when a sign-off uses it; unattached uploads are removed after a day.
type Evidence struct {
	ID           string         `bson:"_id"`
	EnrollmentID string         `bson:"enrollmentId"`
	MilestoneID  string         `bson:"milestoneId"`
	MakerID      string         `bson:"makerId"`
	ProgramID    string         `bson:"programId"`
	Files        []EvidenceFile `bson:"files"`
	UploadedBy   string         `bson:"uploadedBy"`
	UploadedAt   time.Time      `bson:"uploadedAt"`
	Attached     bool           `bson:"attached"`
}

// SaveEvidence stores the renditions in GridFS and then the evidence record. If the record cannot
// be written the files are removed again.
func (s *Store) SaveEvidence(ctx context.Context, ev *Evidence, renditions []imaging.Rendition) error {
	b, err := s.db.Bucket(evidenceBucket)
	if err != nil {
		return wrap("open evidence bucket", err)
	}
	for _, r := range renditions {
		id, err := b.UploadFromStream(ev.ID, bytes.NewReader(r.Data),
			options.GridFSUpload().SetMetadata(bson.M{"contentType": r.ContentType, "evidenceId": ev.ID, "width": r.Width}))
		if err != nil {
			s.deleteFiles(ctx, ev.Files)
			return wrap("store evidence photo", err)
		}
		ev.Files = append(ev.Files, EvidenceFile{Width: r.Width, Height: r.Height, FileID: id.Hex()})
	}
	if _, err := s.db.Write(evidenceColl).InsertOne(ctx, ev); err != nil {
		s.deleteFiles(ctx, ev.Files)
		return wrap("insert evidence", err)
	}
	return nil
}

// Evidence returns an evidence record or ErrEvidenceNotFound.
func (s *Store) Evidence(ctx context.Context, id string) (Evidence, error) {
	var ev Evidence
	err := s.db.Read(evidenceColl).FindOne(ctx, bson.M{"_id": id}).Decode(&ev)
	if store.IsNotFound(err) {
		return Evidence{}, ErrEvidenceNotFound
	}
	if err != nil {
		return Evidence{}, wrap("load evidence", err)
	}
	return ev, nil
}

// MarkEvidenceAttached records that a sign-off uses the evidence, so the clean-up keeps it.
func (s *Store) MarkEvidenceAttached(ctx context.Context, id string) error {
	if _, err := s.db.Write(evidenceColl).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"attached": true}}); err != nil {
		return wrap("attach evidence", err)
	}
	return nil
}

// OpenEvidenceFile streams one stored rendition.
func (s *Store) OpenEvidenceFile(ctx context.Context, fileID string) (io.ReadCloser, error) {
	oid, err := primitive.ObjectIDFromHex(fileID)
	if err != nil {
		return nil, ErrEvidenceNotFound
	}
	b, err := s.db.ReadBucket(evidenceBucket)
	if err != nil {
		return nil, wrap("open evidence bucket", err)
	}
	st, err := b.OpenDownloadStream(oid)
	if errors.Is(err, gridfs.ErrFileNotFound) {
		return nil, ErrEvidenceNotFound
	}
	if err != nil {
		return nil, wrap("open evidence photo", err)
	}
	return st, nil
}

// DeleteEvidence removes an evidence record and its files.
func (s *Store) DeleteEvidence(ctx context.Context, ev Evidence) error {
	s.deleteFiles(ctx, ev.Files)
	if _, err := s.db.Write(evidenceColl).DeleteOne(ctx, bson.M{"_id": ev.ID}); err != nil {
		return wrap("delete evidence", err)
	}
	return nil
}

// EvidenceQuery selects evidence records: a maker's, or unattached ones uploaded before a time.
type EvidenceQuery struct {
	MakerID          string
	UnattachedBefore time.Time
}

// EvidenceList lists evidence records.
func (s *Store) EvidenceList(ctx context.Context, q EvidenceQuery) ([]Evidence, error) {
	f := bson.M{}
	if q.MakerID != "" {
		f["makerId"] = q.MakerID
	}
	if !q.UnattachedBefore.IsZero() {
		f["attached"] = false
		f["uploadedAt"] = bson.M{"$lt": q.UnattachedBefore}
	}
	return findAll[Evidence](ctx, s.db.Read(evidenceColl), f, "evidence", byDate("uploadedAt"))
}

// deleteFiles removes GridFS files; a file already gone is fine.
func (s *Store) deleteFiles(ctx context.Context, files []EvidenceFile) {
	b, err := s.db.Bucket(evidenceBucket)
	if err != nil {
		return
	}
	for _, f := range files {
		if oid, err := primitive.ObjectIDFromHex(f.FileID); err == nil {
			_ = b.DeleteContext(ctx, oid)
		}
	}
}
