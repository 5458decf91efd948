package awsio

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// queueDBName is the queue database's file in the data folder.
const queueDBName = "queues.db"

// queueNameRE is SQS's rule for queue names.
var queueNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// bucketNameRE is S3's rule for bucket names, less the dotted forms.
var bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func checkLocalConfig(cfg Config) error {
	if cfg.DataDir == "" {
		return errors.New("the local backend needs a data folder (--data-dir)")
	}
	for _, q := range []string{cfg.Queue, cfg.DLQ} {
		if !queueNameRE.MatchString(q) {
			return fmt.Errorf("queue name %q: use 1 to 80 of A-Z a-z 0-9 _ -", q)
		}
	}
	if cfg.Queue == cfg.DLQ {
		return fmt.Errorf("queue and DLQ are both %q: give them different names", cfg.Queue)
	}
	if !bucketNameRE.MatchString(cfg.Bucket) {
		return fmt.Errorf("bucket name %q: use 3 to 63 of a-z 0-9 . -", cfg.Bucket)
	}
	return nil
}

// openLocal opens (creating what is missing, unless cfg.NoCreate) the
// local backend. With setup, it also applies its options to the queue
// and records what it created and found.
func openLocal(ctx context.Context, cfg Config, setup *SetupOptions) (*Backend,
	SetupResult, error) {
	var res SetupResult
	if err := checkLocalConfig(cfg); err != nil {
		return nil, res, err
	}
	noCreate := cfg.NoCreate && setup == nil
	if noCreate {
		if err := checkLocalData(cfg.DataDir); err != nil {
			return nil, res, err
		}
	}
	created, err := mkdir(cfg.DataDir)
	if err != nil {
		return nil, res, fmt.Errorf("creating the data folder: %w", err)
	}
	res.note(created, "data folder "+cfg.DataDir)

	db, err := openQueueDB(ctx, filepath.Join(cfg.DataDir, queueDBName))
	if err != nil {
		return nil, res, err
	}
	if noCreate {
		err = checkLocalQueues(ctx, db, cfg)
	} else {
		err = ensureLocalQueues(ctx, db, cfg, setup, &res)
	}
	if err != nil {
		_ = db.Close() // the setup error is the one to report
		return nil, res, err
	}

	root := filepath.Join(cfg.DataDir, cfg.Bucket)
	if noCreate {
		if err := checkLocalBucket(cfg, root); err != nil {
			_ = db.Close()
			return nil, res, err
		}
	}
	created, err = mkdir(root)
	if err != nil {
		_ = db.Close()
		return nil, res, fmt.Errorf("creating the bucket folder: %w", err)
	}
	res.note(created, "bucket "+root)
	maxReceive, err := db.maxReceive(ctx, cfg.Queue)
	if err != nil {
		_ = db.Close()
		return nil, res, err
	}
	store := &diskStore{root: root}
	b := &Backend{
		Queue:          &localQueue{db: db, name: cfg.Queue},
		DLQ:            &localQueue{db: db, name: cfg.DLQ},
		Store:          store,
		Bucket:         cfg.Bucket,
		MaxMessageSize: LocalMaxMessageSize,
		MaxReceive:     maxReceive,
		close:          db.Close,
	}
	if setup == nil && !cfg.NoSweep {
		sw := startSweeper(db, store, cfg.Logger)
		b.close = func() error {
			sw.stop()
			return db.Close()
		}
	}
	return b, res, nil
}

// checkLocalData fails unless dir holds a queue database.
func checkLocalData(dir string) error {
	_, err := os.Stat(filepath.Join(dir, queueDBName))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no rptctl data in %s: run \"rptctl setup\" or \"rptctl serve\" "+
			"there first, or pass --data-dir", dir)
	}
	if err != nil {
		return fmt.Errorf("reading the data folder: %w", err)
	}
	return nil
}

// checkLocalQueues fails unless the queue and the DLQ exist.
func checkLocalQueues(ctx context.Context, db *queueDB, cfg Config) error {
	for _, q := range []struct{ kind, flag, name string }{
		{"queue", "--queue", cfg.Queue},
		{"dlq", "--dlq", cfg.DLQ},
	} {
		ok, err := db.queueExists(ctx, q.name)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s %q does not exist in %s: pass the right %s, or run "+
				"\"rptctl %s %s setup\" to create it", q.kind, q.name, cfg.DataDir,
				q.flag, q.flag, q.name)
		}
	}
	return nil
}

// checkLocalBucket fails unless the bucket folder exists.
func checkLocalBucket(cfg Config, root string) error {
	_, err := os.Stat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("bucket %q does not exist in %s: pass the right --bucket, or run "+
			"\"rptctl --bucket %s setup\" to create it", cfg.Bucket, cfg.DataDir, cfg.Bucket)
	}
	if err != nil {
		return fmt.Errorf("reading the bucket folder: %w", err)
	}
	return nil
}

func ensureLocalQueues(ctx context.Context, db *queueDB, cfg Config, setup *SetupOptions,
	res *SetupResult) error {
	opts := SetupOptions{}.withDefaults()
	if setup != nil {
		opts = *setup
	}
	created, err := db.ensureQueue(ctx, cfg.DLQ, "", 0, opts.Visibility)
	if err != nil {
		return err
	}
	res.note(created, "dlq "+cfg.DLQ)
	created, err = db.ensureQueue(ctx, cfg.Queue, cfg.DLQ, opts.MaxReceive, opts.Visibility)
	if err != nil {
		return err
	}
	res.note(created, fmt.Sprintf("queue %s (maxReceiveCount %d, visibility %v)",
		cfg.Queue, opts.MaxReceive, opts.Visibility))
	if setup == nil {
		return nil
	}
	if err := db.setSetting(ctx, payloadExpirySetting,
		opts.PayloadExpiry.Milliseconds()); err != nil {
		return err
	}
	return db.configureQueue(ctx, cfg.Queue, cfg.DLQ, opts.MaxReceive, opts.Visibility)
}

// mkdir creates dir unless it exists and reports whether it did.
func mkdir(dir string) (bool, error) {
	_, err := os.Stat(dir)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, os.MkdirAll(dir, 0o750)
}
