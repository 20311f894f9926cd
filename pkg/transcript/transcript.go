package transcript

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"io/fs"
	"os"

	"github.com/fsx-wasix/fsx-wasix/internal/atomicfile"
	"github.com/klauspost/compress/zstd"
	"github.com/vmihailenco/msgpack/v5"
)

// Magic opens every decompressed transcript.
const Magic = "fsx-wasix-transcript"

// Version is the format version this build writes and the only one it
// reads. Version 1 carried the oracle's fields in the header; version 2
// frames any producer's records (Schema, SchemaHash, opaque Meta).
const Version = 2

// MaxRecord bounds one record, so a corrupt length cannot make a reader
// allocate gigabytes.
const MaxRecord = 1 << 20

// Header frames a transcript: which records it holds, and what they mean
// as named by their producer. The transcript package interprets First and
// Count (records are numbered from First; the trailer's count must equal
// Count); Schema and SchemaHash are compared, never read (ExpectSchema);
// Meta is the producer's own header, carried as opaque bytes.
type Header struct {
	Schema     string `msgpack:"schema"`      // what the records are, e.g. "fsx-wasix oracle"
	SchemaHash string `msgpack:"schema_hash"` // the producer's hash of their meaning: equal hashes, comparable records
	First      int64  `msgpack:"first"`       // index of the first record
	Count      int64  `msgpack:"count"`       // number of records
	Meta       []byte `msgpack:"meta"`        // the producer's header, unread here
}

// End is one past the last record's index.
func (h Header) End() int64 { return h.First + h.Count }

// SameProducer says whether a and b differ at most in their record range:
// the condition for merging them.
func (h Header) SameProducer(o Header) bool {
	return h.Schema == o.Schema && h.SchemaHash == o.SchemaHash && bytes.Equal(h.Meta, o.Meta)
}

var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

type trailer struct {
	Count    int64  `msgpack:"count"`
	Checksum uint64 `msgpack:"checksum"`
}

// Errors a reader returns, wrapped in a one-line message naming the file;
// test them with errors.Is.
var (
	ErrBadMagic       = errors.New("not a transcript (bad magic)")
	ErrNewerVersion   = errors.New("transcript format is newer than this build")
	ErrOlderVersion   = errors.New("transcript format is older than this build")
	ErrTruncated      = errors.New("truncated transcript")
	ErrCorrupt        = errors.New("corrupt transcript")
	ErrSchemaMismatch = errors.New("records of another schema")
)

// encoderOptions are fixed: the merge of shards must reproduce the bytes of
// an unsharded run, so nothing here may depend on the machine.
func encoderOptions() []zstd.EOption {
	return []zstd.EOption{
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithWindowSize(1 << 22),
		zstd.WithEncoderCRC(true),
		zstd.WithZeroFrames(true),
	}
}

// Writer streams records into a transcript. Records must be written in
// case order; Close writes the trailer and, for Create, renames the
// temporary file into place.
type Writer struct {
	zw    *zstd.Encoder
	bw    *bufio.Writer
	enc   *msgpack.Encoder
	sum   hash.Hash64
	count int64
	want  int64
	frame [5]byte
	err   error
	done  bool

	f *atomicfile.File // nil for NewWriter
}

// NewWriter writes a transcript with header h to w. Close does not close w.
func NewWriter(w io.Writer, h Header) (*Writer, error) { return newWriter(w, h, Version) }

// newWriter lets tests forge other versions.
func newWriter(w io.Writer, h Header, version uint64) (*Writer, error) {
	zw, err := zstd.NewWriter(w, encoderOptions()...)
	if err != nil {
		return nil, err
	}
	tw := &Writer{zw: zw, bw: bufio.NewWriterSize(zw, 64<<10), sum: fnv.New64a(), want: h.Count}
	tw.enc = msgpack.NewEncoder(tw.bw)
	tw.enc.UseCompactInts(true)
	if err := tw.writeHead(h, version); err != nil {
		return nil, err
	}
	return tw, nil
}

func (w *Writer) writeHead(h Header, version uint64) error {
	if err := w.enc.EncodeString(Magic); err != nil {
		return err
	}
	if err := w.enc.EncodeUint(version); err != nil {
		return err
	}
	return w.enc.Encode(&h)
}

// Create writes a transcript to path through internal/atomicfile (a
// temporary file in the same directory, synced and renamed by Close): until
// Close succeeds, path is untouched, so a crash never leaves a report that
// looks whole and a good old report is never replaced by a broken one.
func Create(path string, h Header) (*Writer, error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the message names path already
		}
		return nil, fmt.Errorf("cannot write transcript %s: %w", path, err)
	}
	w, err := NewWriter(f, h)
	if err != nil {
		f.Abort()
		return nil, err
	}
	w.f = f
	return w, nil
}

// Write appends one record. rec is copied; it may be reused after Write returns.
func (w *Writer) Write(rec []byte) error {
	if w.err != nil {
		return w.err
	}
	if len(rec) > MaxRecord {
		w.err = fmt.Errorf("transcript: record of %d bytes exceeds %d", len(rec), MaxRecord)
		return w.err
	}
	fr := binFrame(&w.frame, len(rec))
	w.sum.Write(fr)
	w.sum.Write(rec)
	if _, err := w.bw.Write(fr); err != nil {
		w.err = err
		return err
	}
	if _, err := w.bw.Write(rec); err != nil {
		w.err = err
		return err
	}
	w.count++
	return nil
}

// binFrame is the msgpack bin header for n bytes, written by hand so the hot
// path does not allocate.
func binFrame(b *[5]byte, n int) []byte {
	switch {
	case n <= 0xff:
		b[0], b[1] = 0xc4, byte(n)
		return b[:2]
	case n <= 0xffff:
		b[0] = 0xc5
		binary.BigEndian.PutUint16(b[1:], uint16(n))
		return b[:3]
	default:
		b[0] = 0xc6
		binary.BigEndian.PutUint32(b[1:], uint32(n))
		return b[:5]
	}
}

// Count is the number of records written so far.
func (w *Writer) Count() int64 { return w.count }

// Close writes the trailer and finishes the stream. It fails, leaving no
// transcript, when the number of records differs from the header's Count.
func (w *Writer) Close() error {
	err := w.err
	if err == nil && w.count != w.want {
		err = fmt.Errorf("transcript: %d records written, header promised %d", w.count, w.want)
	}
	if err == nil {
		err = w.bw.WriteByte(0xc0)
	}
	if err == nil {
		err = w.enc.Encode(&trailer{Count: w.count, Checksum: w.sum.Sum64()})
	}
	if err == nil {
		err = w.bw.Flush()
	}
	if cerr := w.zw.Close(); err == nil {
		err = cerr
	}
	w.done = true
	w.err = errors.New("transcript: writer closed")
	if w.f == nil {
		return err
	}
	if err != nil {
		w.f.Abort()
		return fmt.Errorf("cannot write transcript %s: %w", w.f.Path(), err)
	}
	if err := w.f.Commit(); err != nil {
		return fmt.Errorf("cannot write transcript: %w", err) // names the path
	}
	return nil
}

// Abort discards a transcript being written by Create; path is untouched.
// It is safe to call after Close.
func (w *Writer) Abort() {
	if w.f == nil || w.done {
		return
	}
	w.done = true
	w.err = errors.New("transcript: writer closed")
	w.zw.Close()
	w.f.Abort()
}

// Option adjusts what a reader accepts.
type Option func(*options)

type options struct{ schema, hash string }

// ExpectSchema makes the reader reject a transcript whose records are not
// of schema with this hash: they mean something else.
func ExpectSchema(schema, hash string) Option {
	return func(o *options) { o.schema, o.hash = schema, hash }
}

// Reader streams the records of a transcript.
type Reader struct {
	name  string
	f     *os.File
	zr    *zstd.Decoder
	br    *bufio.Reader
	dec   *msgpack.Decoder
	h     Header
	sum   hash.Hash64
	count int64
	buf   []byte
	frame [5]byte
	done  bool
}

// Open opens the transcript at path and reads its header.
func Open(path string, opts ...Option) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read transcript: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s is a directory, not a transcript", path)
	}
	r, err := NewReader(f, path, opts...)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.f = f
	return r, nil
}

// NewReader reads a transcript from src; name labels its errors.
func NewReader(src io.Reader, name string, opts ...Option) (*Reader, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	// Peek at the zstd frame magic ourselves: a file that is not zstd at
	// all is "bad magic", not a decoder error.
	raw := bufio.NewReader(src)
	if m, err := raw.Peek(4); err != nil {
		if len(m) == 0 {
			return nil, fmt.Errorf("%s: %w: empty file", name, ErrTruncated)
		}
		return nil, fmt.Errorf("%s: %w", name, ErrBadMagic)
	} else if !bytes.Equal(m, zstdMagic) {
		return nil, fmt.Errorf("%s: %w", name, ErrBadMagic)
	}
	zr, err := zstd.NewReader(raw,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxWindow(1<<23),
		zstd.WithDecoderMaxMemory(1<<28),
	)
	if err != nil {
		return nil, err
	}
	r := &Reader{name: name, zr: zr, br: bufio.NewReaderSize(zr, 64<<10), sum: fnv.New64a()}
	r.dec = msgpack.NewDecoder(r.br)
	if err := r.readHead(o); err != nil {
		zr.Close()
		return nil, err
	}
	return r, nil
}

func (r *Reader) fail(kind error, format string, a ...any) error {
	msg := ""
	if format != "" {
		msg = ": " + fmt.Sprintf(format, a...)
	}
	return fmt.Errorf("%s: %w%s", r.name, kind, msg)
}

// streamErr classifies an error from the zstd or msgpack layer.
func (r *Reader) streamErr(err error, where string) error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return r.fail(ErrTruncated, "ends %s", where)
	default:
		return r.fail(ErrCorrupt, "%s: %v", where, err)
	}
}

func (r *Reader) readHead(o options) error {
	// The magic is read by hand so that "not ours" and "broken" stay apart.
	var m [1 + len(Magic)]byte
	if _, err := io.ReadFull(r.br, m[:]); err != nil {
		// Nothing decompressed at all from a non-empty zstd file: a small
		// transcript is one block, so a file cut anywhere, even in its last
		// bytes, ends here — "before the header" would send the reader to
		// the wrong end of the file.
		return r.streamErr(err, "early: its compressed data is cut short (a writer that did not finish, or a truncated copy)")
	}
	if m[0] != 0xa0|byte(len(Magic)) || string(m[1:]) != Magic {
		return r.fail(ErrBadMagic, "")
	}
	v, err := r.dec.DecodeUint()
	if err != nil {
		return r.streamErr(err, "in the header")
	}
	if v > Version {
		return r.fail(ErrNewerVersion, "version %d, this build reads version %d", v, Version)
	}
	if v > 0 && v < Version {
		return r.fail(ErrOlderVersion, "version %d, this build reads version %d (regenerate it with this build)", v, Version)
	}
	if v == 0 {
		return r.fail(ErrCorrupt, "format version 0")
	}
	if err := r.dec.Decode(&r.h); err != nil {
		return r.streamErr(err, "in the header")
	}
	if r.h.Count < 0 || r.h.First < 0 || r.h.End() < r.h.First {
		return r.fail(ErrCorrupt, "header record range %d+%d", r.h.First, r.h.Count)
	}
	if o.schema != "" && (r.h.Schema != o.schema || r.h.SchemaHash != o.hash) {
		return r.fail(ErrSchemaMismatch, "it holds %q %s, this build expects %q %s (regenerate it with this build)", r.h.Schema, r.h.SchemaHash, o.schema, o.hash)
	}
	return nil
}

// Header is the transcript's header.
func (r *Reader) Header() Header { return r.h }

// Count is the number of records read so far.
func (r *Reader) Count() int64 { return r.count }

// Next returns the next record, valid until the following call. After the
// last record it checks the trailer and returns io.EOF; any other error
// says in one line what is wrong with the file.
func (r *Reader) Next() ([]byte, error) {
	if r.done {
		return nil, io.EOF
	}
	c, err := r.br.ReadByte()
	if err != nil {
		return nil, r.streamErr(err, fmt.Sprintf("after %d records, before the trailer", r.count))
	}
	var n int
	var fr []byte
	switch c {
	case 0xc0:
		return nil, r.readTrailer()
	case 0xc4, 0xc5, 0xc6:
		size := 1 << (c - 0xc4) // bin8, bin16, bin32: 1, 2, 4 length bytes
		r.frame[0] = c
		if _, err := io.ReadFull(r.br, r.frame[1:1+size]); err != nil {
			return nil, r.streamErr(err, fmt.Sprintf("inside record %d", r.count))
		}
		fr = r.frame[:1+size]
		switch size {
		case 1:
			n = int(r.frame[1])
		case 2:
			n = int(binary.BigEndian.Uint16(r.frame[1:]))
		default:
			n = int(binary.BigEndian.Uint32(r.frame[1:]))
		}
	default:
		return nil, r.fail(ErrCorrupt, "record %d: unexpected byte 0x%02x", r.count, c)
	}
	if n > MaxRecord {
		return nil, r.fail(ErrCorrupt, "record %d: %d bytes exceeds %d", r.count, n, MaxRecord)
	}
	if r.count >= r.h.Count {
		return nil, r.fail(ErrCorrupt, "more records than the header's %d", r.h.Count)
	}
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	rec := r.buf[:n]
	if _, err := io.ReadFull(r.br, rec); err != nil {
		return nil, r.streamErr(err, fmt.Sprintf("inside record %d", r.count))
	}
	r.sum.Write(fr)
	r.sum.Write(rec)
	r.count++
	return rec, nil
}

func (r *Reader) readTrailer() error {
	var t trailer
	if err := r.dec.Decode(&t); err != nil {
		return r.streamErr(err, "in the trailer")
	}
	if t.Count != r.count || t.Count != r.h.Count {
		return r.fail(ErrCorrupt, "trailer counts %d records, read %d, header promised %d", t.Count, r.count, r.h.Count)
	}
	if t.Checksum != r.sum.Sum64() {
		return r.fail(ErrCorrupt, "checksum mismatch")
	}
	// Nothing may follow the trailer but the end of the zstd frame.
	if _, err := r.br.ReadByte(); err == nil {
		return r.fail(ErrCorrupt, "data after the trailer")
	} else if !errors.Is(err, io.EOF) {
		return r.fail(ErrCorrupt, "after the trailer: %v", err)
	}
	r.done = true
	return io.EOF
}

// Close releases the reader and its file.
func (r *Reader) Close() error {
	r.zr.Close()
	if r.f != nil {
		return r.f.Close()
	}
	return nil
}

// Verify reads the whole transcript at path and returns its header, or the
// first thing wrong with it. Use it to reject a bad expected report before
// doing any work.
func Verify(path string, opts ...Option) (Header, error) {
	r, err := Open(path, opts...)
	if err != nil {
		return Header{}, err
	}
	defer r.Close()
	for {
		if _, err := r.Next(); err == io.EOF {
			return r.Header(), nil
		} else if err != nil {
			return Header{}, err
		}
	}
}
