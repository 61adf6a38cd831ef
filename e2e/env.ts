// npm run e2e:env — prints the exports that make the e2e cache's Pulumi CLI the one a person runs by hand:
//   eval "$(npm run --silent e2e:env)"; pulumi preview -s dev --policy-pack policy ...
import { e2eEnv, repoEnvVar } from "./cache";

const env = e2eEnv({});
for (const key of ["PATH", "PULUMI_HOME", "PULUMI_SKIP_UPDATE_CHECK", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", repoEnvVar]) {
    const value = key === "PATH" ? `${env.PATH.replace(/:$/, "")}:$PATH` : env[key];
    console.log(`export ${key}="${value}"`);
}
