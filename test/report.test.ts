import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { planCli } from "../offline/cli/plan";
import { environmentDiagram } from "../offline/diagram";
import { markdownRowLimit, planHtml, planMarkdown, planReport, standInNotice, type PlanReport } from "../offline/report";
import { plannedStack } from "./helpers/plans";
import { captureOutput } from "./helpers/stacks";

/** Debian's chromium package; .ci/run installs it. */
const chromiumPath = "/usr/bin/chromium";

/** What the page reports about the drawn diagram. */
interface DrawnDiagram {
    diagram: string;
    svgs: number;
    nodes: number;
    clusters: number;
    edges: number;
    labels: string;
}

/** A report of the dev plan with extra findings, for the parts a clean plan does not exercise. */
function withFindings(report: PlanReport, violations: number): PlanReport {
    const extra = Array.from({ length: violations }, (_, i) => ({
        level: i % 2 === 0 ? "mandatory" : "advisory",
        policy: "pss-capabilities-baseline",
        resource: `api-${i}`,
        message: `Container app adds capability SYS_ADMIN | and <script>alert(${i})</script>; remove it.`,
    }));
    const byLevel: Record<string, number> = { ...report.violationsByLevel };
    for (const v of extra) byLevel[v.level] = (byLevel[v.level] ?? 0) + 1;
    return {
        ...report,
        clean: false,
        violations: [...report.violations, ...extra],
        violationsByLevel: byLevel,
        schemaErrors: [{ cluster: "aks", object: "Gateway mesh/ingress", errors: ["spec.servers[0].port.number: must be integer"] }],
    };
}

describe("plan report (--markdown, --html)", function () {
    this.timeout(300_000);

    it("counts every planned resource once, by cloud and cluster", async () => {
        const result = await plannedStack("dev");
        const report = planReport(result);
        assert.equal(report.resourceCount, result.run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").length);
        assert.equal(report.groups.reduce((sum, g) => sum + g.count, 0), report.resourceCount);
        const where = report.groups.map((g) => g.where);
        for (const expected of ["Google Cloud", "Azure", "cluster gke (Kubernetes)", "cluster aks (Kubernetes)", "trustmesh components"]) assert.ok(where.includes(expected), `${expected} in ${where.join(", ")}`);
        const gke = report.groups.find((g) => g.where === "cluster gke (Kubernetes)")!;
        assert.ok(gke.kinds.every((k) => k.type.startsWith("kubernetes:")), JSON.stringify(gke.kinds));
        assert.equal(report.diagram, environmentDiagram(result.run.resources, `trustmesh environment "dev" (dev), from the offline plan`));
    });

    it("writes Markdown a reviewer reads: verdict, counts, violations by level, schema errors and the diagram as a Mermaid block", async () => {
        const report = planReport(await plannedStack("dev"));
        const clean = planMarkdown(report);
        assert.match(clean, /^### trustmesh plan: stack `dev` \(dev\): /);
        assert.match(clean, new RegExp(`${report.resourceCount} resources to add`));
        assert.ok(clean.includes(standInNotice), "the stand-in notice");
        assert.ok(clean.includes(`\`\`\`mermaid\n${report.diagram.trimEnd()}\n\`\`\``), "the diagram as a mermaid block");
        for (const g of report.groups) assert.ok(clean.includes(`| ${g.where} | ${g.count} |`), g.where);

        const failing = planMarkdown(withFindings(report, markdownRowLimit + 5));
        assert.match(failing, /❌ FAILED: \d+ mandatory violations, 1 schema error/);
        assert.match(failing, /violations: mandatory \d+, advisory \d+/);
        assert.match(failing, /…and \d+ more in the plan JSON/);
        assert.match(failing, /\| aks \| Gateway mesh\/ingress \| spec.servers\[0\].port.number: must be integer \|/);
        // A message cannot break the table or inject HTML into the PR comment.
        assert.ok(failing.includes("SYS_ADMIN \\| and &lt;script&gt;alert(0)&lt;/script&gt;; remove it."));
        assert.ok(!failing.includes("<script>"));
        const rows = failing.split("\n").filter((l) => l.startsWith("| mandatory |") || l.startsWith("| advisory |"));
        assert.equal(rows.length, markdownRowLimit);
        assert.ok(rows.indexOf(rows.find((r) => r.startsWith("| advisory |"))!) >= rows.filter((r) => r.startsWith("| mandatory |")).length, "mandatory rows come first");
    });

    it("writes an HTML page that needs no network: CSP forbids fetches, Mermaid is inline, text is escaped", async () => {
        const report = withFindings(planReport(await plannedStack("dev")), 2);
        const page = planHtml(report, "/* stand-in bundle for this check */ var mermaid;");
        assert.match(page, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'/);
        assert.doesNotMatch(page, /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/);
        assert.ok(page.includes("alert(0)&lt;/script&gt;") && !page.includes("<script>alert"));
        assert.ok(planHtml(report, "a('</script>')").includes("a('<\\/script>')"), "a bundle cannot close its own script element");
    });

    it("plan --markdown and --html write both files from one plan", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "plan-report-"));
        try {
            const io = captureOutput();
            const code = await planCli(["--stack", "dev", "--out", path.join(dir, "out"), "--markdown", path.join(dir, "plan.md"), "--html", path.join(dir, "plan.html")], io.log, io.error);
            assert.equal(code, 0, io.err.join("\n"));
            assert.match(io.out.join("\n"), /Markdown report written to .*plan\.md\nHTML report written to .*plan\.html/);
            assert.match(readFileSync(path.join(dir, "plan.md"), "utf8"), /```mermaid\nflowchart LR/);
            assert.ok(readFileSync(path.join(dir, "plan.html"), "utf8").length > 1_000_000, "the page carries the Mermaid bundle");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("draws the diagram in headless Chromium with no console error and no network request", async function () {
        if (!existsSync(chromiumPath)) {
            // CI installs Debian's chromium (.ci/run); a developer machine without it skips, CI never does.
            if (process.env.CI) assert.fail(`${chromiumPath} is missing: .ci/run installs Debian's chromium package`);
            this.skip();
        }
        const { chromium } = await import("playwright-core");
        const dir = mkdtempSync(path.join(tmpdir(), "plan-html-"));
        const file = path.join(dir, "plan.html");
        writeFileSync(file, planHtml(planReport(await plannedStack("dev"))));
        const browser = await chromium.launch({
            executablePath: chromiumPath,
            args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        try {
            const page = await browser.newPage();
            const problems: string[] = [];
            const requests: string[] = [];
            page.on("console", (message) => {
                if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`);
            });
            page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
            page.on("request", (request) => requests.push(request.url()));
            await page.goto(pathToFileURL(file).href);
            // Page-side code as strings: this project compiles without the DOM library.
            await page.waitForFunction('document.body.dataset.diagram !== "pending"', undefined, { timeout: 120_000 });
            const state = await page.evaluate<DrawnDiagram>(`({
                diagram: document.body.dataset.diagram,
                svgs: document.querySelectorAll("pre.mermaid svg").length,
                nodes: document.querySelectorAll("pre.mermaid svg g.node").length,
                clusters: document.querySelectorAll("pre.mermaid svg g.cluster").length,
                edges: document.querySelectorAll("pre.mermaid svg .edgePaths path, pre.mermaid svg path.flowchart-link").length,
                labels: document.querySelector("pre.mermaid svg")?.textContent ?? "",
            })`);
            assert.deepEqual(problems, []);
            assert.equal(state.diagram, "drawn");
            assert.equal(state.svgs, 1);
            assert.ok(state.nodes >= 5 && state.clusters >= 2 && state.edges >= 1, JSON.stringify({ ...state, labels: undefined }));
            assert.match(state.labels, /Google Cloud/);
            assert.match(state.labels, /Azure/);
            assert.deepEqual(requests.filter((url) => !url.startsWith("file:") && !url.startsWith("data:")), []);
        } finally {
            await browser.close();
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
