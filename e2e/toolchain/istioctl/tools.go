//go:build tools

// istioctl for the end-to-end run: `istioctl analyze` offline over the manifests trustmesh renders.
// The module proxy serves istio.io/istio only as pseudo-versions of branch commits, and of those only
// this one (master, 2026-08-27, 1.31 in development) has every dependency served: the release-1.30
// commit needs a github.com/agentgateway/agentgateway/api version the proxy refuses (403).
package tools

import _ "istio.io/istio/istioctl/cmd/istioctl"
