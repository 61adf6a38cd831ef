import { fakeOutputs } from "../fakeOutputs";

// A Helm release reports its status and the chart it installed; everything else echoes its inputs.
fakeOutputs("kubernetes:helm.sh/v3:Release", (args) => ({
    status: { status: "deployed", chart: args.inputs.chart, version: args.inputs.version, namespace: args.inputs.namespace, name: args.inputs.name ?? args.name, revision: 1 },
}));
