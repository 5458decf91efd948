package awsio

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// tmpPrefix starts the names of objects being written; List skips them
// and keys may not use it.
const tmpPrefix = ".rptctl-tmp-"

// maxKeyLen is S3's limit on a key's length in bytes.
const maxKeyLen = 1024

// diskStore is a bucket kept as files below root, with the semantics of
// S3 that rptctl relies on: whole-object puts that readers never see half
// done, gets, heads, sorted prefix listings and idempotent deletes. Keys
// map to paths ("a/b" is the file b in folder a), so one key cannot also
// be the folder of another ("a" and "a/b"), unlike S3.
type diskStore struct {
	root string
}

var _ Store = (*diskStore)(nil)

// checkKey refuses keys that could leave the bucket folder or clash with
// temporary files.
func checkKey(key string) error {
	switch {
	case key == "":
		return errors.New("object key is empty")
	case len(key) > maxKeyLen:
		return fmt.Errorf("object key of %d bytes is over the limit of %d", len(key), maxKeyLen)
	case strings.HasPrefix(key, "/"):
		return fmt.Errorf("object key %q is absolute", key)
	case strings.ContainsAny(key, "\\\x00"):
		return fmt.Errorf("object key %q holds a backslash or NUL", key)
	}
	for _, part := range strings.Split(key, "/") {
		switch {
		case part == "" || part == "." || part == "..":
			return fmt.Errorf("object key %q has an empty, . or .. segment", key)
		case strings.HasPrefix(part, tmpPrefix):
			return fmt.Errorf("object key %q uses the reserved prefix %s", key, tmpPrefix)
		}
	}
	return nil
}

func (s *diskStore) path(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key))
}

// Put writes body under key atomically and durably: to a temporary file
// that is synced and then renamed over the key, and the folder synced.
func (s *diskStore) Put(ctx context.Context, key string, body []byte) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("putting object: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("putting %s: %w", key, err)
	}
	dst := s.path(key)
	if err := mkdirSynced(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("putting %s: %w", key, err)
	}
	if err := writeAtomic(dst, body); err != nil {
		return fmt.Errorf("putting %s: %w", key, err)
	}
	return nil
}

func writeAtomic(dst string, body []byte) error {
	f, err := os.CreateTemp(filepath.Dir(dst), tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(body); err != nil {
		_ = f.Close()      // the write error matters more
		_ = os.Remove(tmp) // best effort: List skips leftovers anyway
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		_ = os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// mkdirSynced creates dir and its missing parents, syncing the parent of
// each folder it creates: a synced file in a folder whose own entry was
// lost to a power loss is lost too. Concurrent puts may create the same
// folder; MkdirAll takes that in its stride.
func mkdirSynced(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	// The folders to create, deepest first.
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		missing = append(missing, d)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := syncDir(filepath.Dir(missing[i])); err != nil {
			return err
		}
	}
	return nil
}

// syncDir makes a rename in dir durable: without it a power loss can
// undo the rename although the file's data was synced.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close() // the sync error matters more
		return err
	}
	return d.Close()
}

// Get reads the object under key, or fails with ErrNotFound.
func (s *diskStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("getting object: %w", err)
	}
	b, err := os.ReadFile(s.path(key))
	if err != nil {
		return nil, fmt.Errorf("getting %s: %w", key, notFound(err))
	}
	return b, nil
}

// Head describes the object under key, or fails with ErrNotFound.
func (s *diskStore) Head(ctx context.Context, key string) (ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return ObjectInfo{}, fmt.Errorf("reading object: %w", err)
	}
	fi, err := os.Stat(s.path(key))
	if err == nil && fi.IsDir() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("reading %s: %w", key, notFound(err))
	}
	return ObjectInfo{Key: key, Size: fi.Size(), Modified: fi.ModTime().UTC()}, nil
}

// notFound turns a missing file (or a folder where a file was expected)
// into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EISDIR) ||
		errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// List returns the objects whose keys start with prefix, sorted by key
// as S3 sorts them (by bytes).
func (s *diskStore) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	// Walk only the folder the prefix reaches into.
	dir := ""
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		dir = prefix[:i]
	}
	if dir != "" {
		if err := checkKey(dir); err != nil {
			return nil, fmt.Errorf("listing %q: %w", prefix, err)
		}
	}
	var out []ObjectInfo
	start := filepath.Join(s.root, filepath.FromSlash(dir))
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // a prefix with no objects
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), tmpPrefix) {
			return nil
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted while we walked
		}
		if err != nil {
			return err
		}
		out = append(out, ObjectInfo{Key: key, Size: fi.Size(), Modified: fi.ModTime().UTC()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %q: %w", prefix, err)
	}
	slices.SortFunc(out, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Delete removes the object under key. Deleting a missing key is not an
// error, as in S3.
func (s *diskStore) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("deleting object: %w", err)
	}
	err := os.Remove(s.path(key))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting %s: %w", key, err)
	}
	return nil
}
