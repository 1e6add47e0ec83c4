package imaging

import (
	"bytes"
	"encoding/binary"
)

// EXIF parsing is limited to the Orientation tag on purpose: it is the only
// piece of metadata whose meaning must be preserved (by rotating the pixels)
// once all metadata is thrown away. Everything here treats the input as
// hostile: every offset is bounds-checked and any inconsistency simply means
// "no orientation" (1), never a panic or an error.

const (
	markerSOS  = 0xDA // start of scan: entropy-coded data follows, no more metadata
	markerEOI  = 0xD9
	markerAPP1 = 0xE1

	tagOrientation = 0x0112
	typeShort      = 3
)

var exifHeader = []byte("Exif\x00\x00")

// jpegOrientation returns the EXIF Orientation (1–8) of a JPEG file, or 1
// when there is none or the EXIF block is malformed.
func jpegOrientation(data []byte) int {
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	i := 2
	for {
		if i >= len(data) || data[i] != 0xFF {
			return 1
		}
		for i < len(data) && data[i] == 0xFF { // optional fill bytes
			i++
		}
		if i >= len(data) {
			return 1
		}
		marker := data[i]
		i++
		switch {
		case marker == markerSOS || marker == markerEOI || marker == 0x00:
			return 1
		case marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7):
			continue // TEM and RSTn stand alone, without a length
		}
		if i+2 > len(data) {
			return 1
		}
		n := int(data[i])<<8 | int(data[i+1]) // includes the two length bytes
		if n < 2 || n > len(data)-i {
			return 1
		}
		seg := data[i+2 : i+n]
		i += n
		// APP1 is also used for XMP; only the EXIF flavour has orientation.
		if marker == markerAPP1 && bytes.HasPrefix(seg, exifHeader) {
			return exifOrientation(seg[len(exifHeader):])
		}
	}
}

// exifOrientation reads the Orientation tag from IFD0 of a TIFF-structured
// EXIF block, returning 1 when it is absent or invalid.
func exifOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(tiff[2:]) != 42 {
		return 1
	}
	off := uint64(bo.Uint32(tiff[4:]))
	if off < 8 || off+2 > uint64(len(tiff)) {
		return 1
	}
	count := int(bo.Uint16(tiff[off:]))
	entries := tiff[off+2:]
	for j := 0; j < count; j++ {
		if 12*j+12 > len(entries) {
			return 1
		}
		e := entries[12*j : 12*j+12]
		if bo.Uint16(e[0:]) != tagOrientation {
			continue
		}
		if bo.Uint16(e[2:]) != typeShort || bo.Uint32(e[4:]) != 1 {
			return 1
		}
		// A single SHORT is stored left-justified in the 4-byte value field.
		if v := int(bo.Uint16(e[8:])); v >= 1 && v <= 8 {
			return v
		}
		return 1
	}
	return 1
}
