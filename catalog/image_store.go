package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fairhands/marketplace/store"
)

const imagesBucket = "images"

// ImageStore keeps the re-encoded renditions of product photos in GridFS, one file per width,
// named "<imageID>.<width>" so a rendition is fetched by _id without any other query.
type ImageStore struct{ db *store.DB }

// NewImageStore returns an ImageStore.
func NewImageStore(db *store.DB) *ImageStore { return &ImageStore{db: db} }

// fileID names the GridFS file of one rendition.
func fileID(imageID string, width int) string { return imageID + "." + strconv.Itoa(width) }

// Put stores one rendition.
func (s *ImageStore) Put(ctx context.Context, imageID string, width int, productID string, data []byte) (string, error) {
	b, err := s.db.Bucket(imagesBucket)
	if err != nil {
		return "", fmt.Errorf("open image bucket: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = b.SetWriteDeadline(dl) // the GridFS API takes deadlines, not contexts
	}
	id := fileID(imageID, width)
	opts := options.GridFSUpload().SetMetadata(bson.M{"productId": productID, "contentType": "image/jpeg", "width": width})
	if err := b.UploadFromStreamWithID(id, id+".jpg", bytes.NewReader(data), opts); err != nil {
		return "", fmt.Errorf("store image: %w", err)
	}
	return id, nil
}

// Get returns one rendition's bytes, or ErrImageNotFound.
func (s *ImageStore) Get(ctx context.Context, imageID string, width int) ([]byte, error) {
	b, err := s.db.ReadBucket(imagesBucket)
	if err != nil {
		return nil, fmt.Errorf("open image bucket: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = b.SetReadDeadline(dl)
	}
	stream, err := b.OpenDownloadStream(fileID(imageID, width))
	if errors.Is(err, gridfs.ErrFileNotFound) {
		return nil, ErrImageNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load image: %w", err)
	}
	defer stream.Close()
	data, err := io.ReadAll(stream)
	if err != nil {
		return nil, fmt.Errorf("load image: %w", err)
	}
	return data, nil
}

// Delete removes stored renditions; missing files are not an error.
func (s *ImageStore) Delete(ctx context.Context, fileIDs []string) error {
	b, err := s.db.Bucket(imagesBucket)
	if err != nil {
		return fmt.Errorf("open image bucket: %w", err)
	}
	var errs []error
	for _, id := range fileIDs {
		if err := b.DeleteContext(ctx, id); err != nil && !errors.Is(err, gridfs.ErrFileNotFound) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delete image: %w", err)
	}
	return nil
}
