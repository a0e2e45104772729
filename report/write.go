package report

import (
	"encoding/json"
	"path/filepath"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
)

// WriteStudy saves a study's results under dir as base.json (v, indented),
// base.md (markdown) and report.html (the markdown rendered, titled
// title), each atomically.
func WriteStudy(dir, base, title, markdown string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, base+".json"), append(b, '\n')); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, base+".md"), []byte(markdown)); err != nil {
		return err
	}
	page, err := HTML(title, markdown, dir)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, "report.html"), page)
}
