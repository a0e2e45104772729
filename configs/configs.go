// Package configs embeds the YAML presets shipped with circuitry, so the
// CLI can run them from any working directory.
package configs

import "embed"

// FS holds every preset, by path relative to this directory.
//
//go:embed *.yaml inhibitory-normalization/*.yaml offline-reactivation/*.yaml
var FS embed.FS
