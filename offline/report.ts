/**
 * The offline plan as a pull-request report: short Markdown a reviewer reads in a PR comment, and a
 * self-contained HTML page of the same with the environment diagram drawn by Mermaid, bundled inline so
 * the page opens from a CI artifact with no network (its Content-Security-Policy forbids any fetch).
 * Both read what the plan already prints: names, counts and policy messages, never a secret value.
 */
import { readFileSync } from "node:fs";
import { environmentDiagram } from "./diagram";
import type { RecordedResource } from "./engine";
import { clusterOf } from "./manifests";
import { programResources } from "./engine";
import { planExitCode, type PlanResult } from "./plan";

export interface ReportGroup {
    /** Where the resources land: a cloud, a cluster, the PKI in state, or the component tree. */
    where: string;
    count: number;
    /** Resource types in the group with their counts, most frequent first. */
    kinds: Array<{ type: string; count: number }>;
}

export interface ReportViolation {
    level: string;
    policy: string;
    resource: string;
    message: string;
}

export interface PlanReport {
    stack: string;
    environment: string;
    enforcement: string;
    clean: boolean;
    resourceCount: number;
    groups: ReportGroup[];
    violationsByLevel: Record<string, number>;
    violations: ReportViolation[];
    schemaErrors: Array<{ cluster: string; object: string; errors: string[] }>;
    unvalidatedCount: number;
    diagram: string;
}

/** Said in every report: the plan ran under mocks, so cloud-computed values are stand-ins. */
export const standInNotice =
    "Planned offline under Pulumi mocks: values the clouds compute (IDs, addresses, endpoints) are stand-ins from the offline fakes; no cloud or cluster was contacted.";

/** Rows shown per list in Markdown: a PR comment stays readable and under GitHub's 65536-character limit. */
export const markdownRowLimit = 40;

/** Most binding first, in lists and counts. */
const levelOrder = ["mandatory", "remediate", "advisory", "disabled"];

function groupOf(resource: RecordedResource, byUrn: Map<string, RecordedResource>): string {
    const pkg = resource.type.split(":")[0]!;
    if (resource.type.startsWith("pulumi:providers:")) return "providers";
    if (pkg === "kubernetes") return `cluster ${clusterOf(resource, byUrn)} (Kubernetes)`;
    if (pkg === "gcp") return "Google Cloud";
    if (pkg === "azure-native") return "Azure";
    if (pkg === "tls") return "PKI keys and certificates (tls, in state)";
    if (pkg === "trustmesh") return "trustmesh components";
    return pkg;
}

export function planReport(result: PlanResult): PlanReport {
    const resources = programResources(result.run.resources);
    const byUrn = new Map(result.run.resources.map((r) => [r.urn, r]));
    const groups = new Map<string, Map<string, number>>();
    for (const resource of resources) {
        const where = groupOf(resource, byUrn);
        const kinds = groups.get(where) ?? new Map<string, number>();
        kinds.set(resource.type, (kinds.get(resource.type) ?? 0) + 1);
        groups.set(where, kinds);
    }
    const byName = (a: ReportGroup, b: ReportGroup) => a.where.localeCompare(b.where);
    const violations = result.violations
        .map((v) => ({ level: v.enforcementLevel, policy: v.policy, resource: v.urn.split("::").pop() ?? v.urn, message: v.message }))
        .sort((a, b) => levelOrder.indexOf(a.level) - levelOrder.indexOf(b.level) || a.policy.localeCompare(b.policy) || a.resource.localeCompare(b.resource));
    const violationsByLevel: Record<string, number> = {};
    for (const v of violations) violationsByLevel[v.level] = (violationsByLevel[v.level] ?? 0) + 1;
    return {
        stack: result.stack,
        environment: result.config.environment,
        enforcement: result.enforcement,
        clean: planExitCode(result) === 0,
        resourceCount: resources.length,
        groups: [...groups]
            .map(([where, kinds]) => ({
                where,
                count: [...kinds.values()].reduce((a, b) => a + b, 0),
                kinds: [...kinds].map(([type, count]) => ({ type, count })).sort((a, b) => b.count - a.count || a.type.localeCompare(b.type)),
            }))
            .sort(byName),
        violationsByLevel,
        violations,
        schemaErrors: result.schemaErrors.map((s) => ({ cluster: s.cluster, object: `${s.kind} ${s.namespace ? `${s.namespace}/` : ""}${s.name}`, errors: s.errors })),
        unvalidatedCount: result.unvalidated.length,
        diagram: environmentDiagram(result.run.resources, `trustmesh environment "${result.stack}" (${result.config.environment}), from the offline plan`),
    };
}

function verdict(report: PlanReport): string {
    const mandatory = report.violationsByLevel.mandatory ?? 0;
    return report.clean ? "clean" : `FAILED: ${mandatory} mandatory violation${mandatory === 1 ? "" : "s"}, ${report.schemaErrors.length} schema error${report.schemaErrors.length === 1 ? "" : "s"}`;
}

function levelsLine(report: PlanReport): string {
    const levels = Object.entries(report.violationsByLevel).sort(([a], [b]) => levelOrder.indexOf(a) - levelOrder.indexOf(b));
    return levels.length === 0 ? "none" : levels.map(([level, n]) => `${level} ${n}`).join(", ");
}

/** A Markdown table cell: one line, pipes and HTML kept literal. */
function cell(text: string): string {
    return text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function shortType(type: string): string {
    return type.replace(/^kubernetes:/, "").replace(/^azure-native:/, "").replace(/^gcp:/, "").replace(/^tls:index\//, "");
}

export function planMarkdown(report: PlanReport): string {
    const out: string[] = [];
    out.push(`### trustmesh plan: stack \`${report.stack}\` (${report.environment}): ${report.clean ? "✅" : "❌"} ${verdict(report)}`, "");
    out.push(`${report.resourceCount} resources to add · policies ${report.enforcement} · violations: ${levelsLine(report)} · schema errors: ${report.schemaErrors.length}`, "");
    out.push(`> ${standInNotice}`, "");

    out.push("#### Resources to add, by cloud and cluster", "", "| where | resources | most common |", "|---|---:|---|");
    for (const g of report.groups) {
        const top = g.kinds.slice(0, 3).map((k) => `${cell(shortType(k.type))} ${k.count}`).join(", ");
        out.push(`| ${cell(g.where)} | ${g.count} | ${top} |`);
    }
    out.push("");

    out.push(`#### Policy violations (${report.violations.length})`, "");
    if (report.violations.length === 0) out.push("No violations.", "");
    else {
        out.push("| level | policy | resource | what must change |", "|---|---|---|---|");
        const shown = [...report.violations].sort((a, b) => levelOrder.indexOf(a.level) - levelOrder.indexOf(b.level)).slice(0, markdownRowLimit);
        for (const v of shown) out.push(`| ${v.level} | \`${cell(v.policy)}\` | ${cell(v.resource)} | ${cell(v.message)} |`);
        if (report.violations.length > markdownRowLimit) out.push("", `…and ${report.violations.length - markdownRowLimit} more in the plan JSON (\`--json\`).`);
        out.push("");
    }

    out.push(`#### Schema errors (${report.schemaErrors.length})`, "");
    if (report.schemaErrors.length === 0) out.push("Every Kubernetes object matches its upstream schema.", "");
    else {
        out.push("| cluster | object | errors |", "|---|---|---|");
        for (const s of report.schemaErrors.slice(0, markdownRowLimit)) out.push(`| ${cell(s.cluster)} | ${cell(s.object)} | ${cell(s.errors.join("; "))} |`);
        if (report.schemaErrors.length > markdownRowLimit) out.push("", `…and ${report.schemaErrors.length - markdownRowLimit} more in the plan JSON (\`--json\`).`);
        out.push("");
    }
    if (report.unvalidatedCount > 0) out.push(`${report.unvalidatedCount} objects of kinds no schema package covers were not validated.`, "");

    out.push("#### Environment", "", "```mermaid", report.diagram.trimEnd(), "```", "");
    return out.join("\n");
}

function html(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Mermaid's browser bundle (an IIFE that defines `mermaid`), from the installed package. */
export function mermaidBundle(): string {
    return readFileSync(require.resolve("mermaid/dist/mermaid.min.js"), "utf8");
}

/**
 * The page: the same content as the Markdown, the diagram drawn in the browser by the bundled Mermaid.
 * `document.body.dataset.diagram` ends as "drawn" or "failed" so a headless browser can wait for it.
 */
export function planHtml(report: PlanReport, mermaidScript: string = mermaidBundle()): string {
    const rows = (cells: string[][]) => cells.map((r) => `<tr>${r.map((c) => `<td>${html(c)}</td>`).join("")}</tr>`).join("\n");
    const title = `trustmesh plan: ${report.stack} (${report.environment})`;
    const violationsTable =
        report.violations.length === 0
            ? "<p>No violations.</p>"
            : `<table><thead><tr><th>level</th><th>policy</th><th>resource</th><th>what must change</th></tr></thead><tbody>\n${rows(report.violations.map((v) => [v.level, v.policy, v.resource, v.message]))}\n</tbody></table>`;
    const schemaTable =
        report.schemaErrors.length === 0
            ? "<p>Every Kubernetes object matches its upstream schema.</p>"
            : `<table><thead><tr><th>cluster</th><th>object</th><th>errors</th></tr></thead><tbody>\n${rows(report.schemaErrors.map((s) => [s.cluster, s.object, s.errors.join("; ")]))}\n</tbody></table>`;
    // The bundle is inlined in a <script>: a literal "</script" inside it would end the element early.
    const script = mermaidScript.replace(/<\/script/gi, "<\\/script");
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1f2328; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.n { text-align: right; }
.verdict.clean { color: #1a7f37; } .verdict.failed { color: #cf222e; }
.notice { border-left: 4px solid #d0d7de; padding-left: .75rem; color: #59636e; }
</style>
</head>
<body data-diagram="pending">
<h1>${html(title)}: <span class="verdict ${report.clean ? "clean" : "failed"}">${html(verdict(report))}</span></h1>
<p>${report.resourceCount} resources to add · policies ${html(report.enforcement)} · violations: ${html(levelsLine(report))} · schema errors: ${report.schemaErrors.length}</p>
<p class="notice">${html(standInNotice)}</p>
<h2>Resources to add, by cloud and cluster</h2>
<table><thead><tr><th>where</th><th>resources</th><th>types</th></tr></thead><tbody>
${report.groups.map((g) => `<tr><td>${html(g.where)}</td><td class="n">${g.count}</td><td>${html(g.kinds.map((k) => `${shortType(k.type)} ${k.count}`).join(", "))}</td></tr>`).join("\n")}
</tbody></table>
<h2>Policy violations (${report.violations.length})</h2>
${violationsTable}
<h2>Schema errors (${report.schemaErrors.length})</h2>
${schemaTable}
${report.unvalidatedCount > 0 ? `<p>${report.unvalidatedCount} objects of kinds no schema package covers were not validated.</p>` : ""}
<h2>Environment</h2>
<pre class="mermaid">${html(report.diagram)}</pre>
<script>${script}</script>
<script>
mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral" });
mermaid.run({ querySelector: "pre.mermaid" }).then(
    () => { document.body.dataset.diagram = "drawn"; },
    (error) => { document.body.dataset.diagram = "failed"; console.error("diagram: " + (error && error.message ? error.message : error)); },
);
</script>
</body>
</html>
`;
}
