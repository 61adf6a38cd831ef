//go:build tools

// The host is built by import path (`go build github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python`);
// this keeps it in go.mod.
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"
