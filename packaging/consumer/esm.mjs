// An ES module consumer: named imports from both entry points, resolved through package.json exports.
import { AksCluster, GkeCluster, MeshLink, RootCa } from "trustmesh";
import { ConfigError, previewEnvironment } from "trustmesh/automation";

const found = { AksCluster, GkeCluster, MeshLink, RootCa, ConfigError, previewEnvironment };
console.log(JSON.stringify(Object.fromEntries(Object.entries(found).map(([name, value]) => [name, typeof value]))));
