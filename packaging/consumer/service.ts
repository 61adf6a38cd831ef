// A service that drives environments through trustmesh/automation: a bad config from a request must
// come back as a ConfigError listing the problems, before any Pulumi workspace or CLI is touched.
import { ConfigError, previewEnvironment } from "trustmesh/automation";

async function main(): Promise<void> {
    const requestBody = '{"environment":"qa","namespaces":[{"name":"Payments","clusters":["gke"]}]}';
    try {
        await previewEnvironment({ stack: "dev", config: JSON.parse(requestBody), workRoot: process.env.WORK_ROOT ?? "work" });
        console.log(JSON.stringify({ error: "none" }));
    } catch (error) {
        if (error instanceof ConfigError) console.log(JSON.stringify({ error: error.name, problems: error.problems.map((p) => p.key) }));
        else console.log(JSON.stringify({ error: (error as Error).name, message: (error as Error).message }));
    }
}

void main();
