// Headless Chromium drives `fupin serve` on a fresh SQLite database: sign in, open the coverage
// page (with its ECharts pie), switch the language, look at it on a phone; screenshots go to
// tests/browser/screenshots/ (gitignored).
//
// Run through scripts/browser-test, which installs Chromium and builds `fupin` first.
// FUPIN_BIN names the binary; CHROMIUM the browser (default /usr/bin/chromium).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, "screenshots");
const fupinBin = process.env.FUPIN_BIN || join(here, "..", "..", "target", "debug", "fupin");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const password = "correct horse battery";
const asOf = "2017-06-30";

let workDir;
let dbUrl;
let server;
let baseUrl;
let browser;

function fupin(args, input) {
  const result = spawnSync(fupinBin, ["--db", dbUrl, ...args], {
    input,
    encoding: "utf8",
    env: { ...process.env, FUPIN_DATABASE_URL: "" },
  });
  assert.equal(result.status, 0, `fupin ${args.join(" ")}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

const fixtures = join(here, "fixtures");

/** The fixture of tests/browser/fixtures/, imported through the command line as an operator
 * would: two counties' townships and villages, banks, responsibility, outlets, households,
 * products, loans, repayments, returns and fund deposits; a published figure that disagrees
 * with the data; the first quarter's subsidy claims; users of every role. */
function seed() {
  fupin(["init"]);
  const kinds = [
    "regions", "institutions", "assignments", "service_points", "households", "products",
    "loans", "repayments", "returns", "fund_deposits",
  ];
  for (const kind of kinds) {
    const extra = kind === "households" ? ["--as-of", "2016-12-31"] : [];
    fupin(["import", kind, join(fixtures, `${kind}.csv`), ...extra]);
  }
  fupin([
    "reported", "add", "--indicator", "poor_population", "--region", "3611", "--as-of", asOf,
    "--value", "25", "--unit", "count", "--source", "上饶市扶贫办 2017年6月通报",
  ]);
  fupin(["subsidy", "claims", "--quarter", "2017Q1"]);
  const users = [
    ["reg", "regulator", "3611", null, "上饶监管"],
    ["pyrcb", "bank", "361128", "PYRCB", "鄱阳农商行信贷员"],
    ["poverty", "poverty_office", "361128", null, "鄱阳县扶贫办"],
    ["finance", "finance", "361128", null, "鄱阳县财政局"],
  ];
  for (const [name, role, region, institution, display] of users) {
    const args = ["user", "add", name, "--role", role, "--region", region, "--display-name", display];
    if (institution) args.push("--institution", institution);
    fupin([...args, "--password-stdin"], `${password}\n`);
  }
}

function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(fupinBin, ["--db", dbUrl, "serve", "--listen", "127.0.0.1:0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const timer = setTimeout(() => reject(new Error(`fupin serve did not start: ${output}`)), 30000);
    server.stdout.on("data", (chunk) => {
      output += chunk;
      const match = output.match(/http:\/\/[0-9.]+:[0-9]+/);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    });
    server.stderr.on("data", (chunk) => {
      output += chunk;
    });
    server.on("exit", (code) => reject(new Error(`fupin serve exited with ${code}: ${output}`)));
  });
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  workDir = mkdtempSync(join(tmpdir(), "fupin-browser-"));
  dbUrl = `sqlite:${join(workDir, "fupin.db")}`;
  seed();
  baseUrl = await startServer();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill("SIGTERM");
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Collects console errors and CSP violations of a page. */
function watch(page) {
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
  return problems;
}

async function signIn(page, name = "reg", target = `/coverage?as_of=${asOf}`, shot = "01-sign-in.png") {
  await page.goto(`${baseUrl}${target}`);
  assert.match(page.url(), /\/signin\?next=/, "strangers are sent to sign in");
  if (shot) await page.screenshot({ path: join(shots, shot), fullPage: true });
  await page.fill("#name", name);
  await page.fill("#password", password);
  const path = target.split("?")[0];
  await Promise.all([page.waitForURL((url) => url.pathname === path), page.click("#sign-in")]);
}

async function desktop(locale = "zh-CN") {
  return browser.newContext({ viewport: { width: 1280, height: 900 }, locale });
}

test("sign in, coverage with its chart, switch language, phone", async () => {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: "zh-CN",
  });
  const page = await context.newPage();
  const problems = watch(page);

  await signIn(page);
  assert.equal(await page.locator("h1").textContent(), "金融服务覆盖");
  await page.waitForSelector("#village-chart[data-chart-ready='1'] canvas");
  const figures = await page.locator("#township-coverage dd").allTextContents();
  assert.deepEqual(figures.map((f) => f.trim()), ["4", "3", "1"], "townships: total, assigned, without");
  assert.match(await page.locator("#village-coverage").textContent(), /莲花村/, "uncovered village listed");
  await page.screenshot({ path: join(shots, "02-coverage-zh.png"), fullPage: true });

  await Promise.all([page.waitForURL(/\/coverage/), page.click("#switch-language")]);
  assert.equal(await page.locator("h1").textContent(), "Banking coverage");
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  await page.waitForSelector("#village-chart[data-chart-ready='1'] canvas");
  await page.screenshot({ path: join(shots, "03-coverage-en.png"), fullPage: true });

  // The choice sticks (cookie) on the next page.
  await page.goto(`${baseUrl}/regions?level=township`);
  assert.equal(await page.locator("h1").textContent(), "Regions");
  await page.screenshot({ path: join(shots, "04-regions-en.png"), fullPage: true });

  assert.deepEqual(problems, [], "no console errors or CSP violations");
  await context.close();
});

test("readable on a phone", async () => {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: "zh-CN",
  });
  const page = await context.newPage();
  const problems = watch(page);
  await signIn(page);
  await page.waitForSelector("#village-chart[data-chart-ready='1'] canvas");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page fits the phone's width (overflow ${overflow}px)`);
  await page.screenshot({ path: join(shots, "05-coverage-phone.png"), fullPage: true });
  await page.goto(`${baseUrl}/institutions`);
  await page.screenshot({ path: join(shots, "06-institutions-phone.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test("the API document is browsable offline", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${baseUrl}/api/docs`);
  await page.waitForSelector(".swagger-ui .info .title");
  assert.match(await page.locator(".swagger-ui .info .title").textContent(), /Fupin API/);
  await page.waitForSelector(".opblock-tag-section");
  await page.screenshot({ path: join(shots, "07-api-docs.png") });
  assert.deepEqual(problems, []);
  await context.close();
});

test("regulator: dashboard with charts and flagged figures, language, work list, household, loan", async () => {
  const context = await desktop();
  const page = await context.newPage();
  const problems = watch(page);
  await signIn(page, "reg", `/dashboard?as_of=${asOf}`, null);
  assert.equal(await page.locator("h1").textContent(), "金融扶贫监测看板");
  await page.waitForSelector("#county-chart[data-chart-ready='1'] canvas");
  await page.waitForSelector("#month-chart[data-chart-ready='1'] canvas");
  assert.match(await page.locator("#flagged").textContent(), /1/, "the published poor population differs");
  assert.ok((await page.locator("#indicator-table tr.flag").count()) >= 1);
  await page.screenshot({ path: join(shots, "08-dashboard-zh.png"), fullPage: true });

  await Promise.all([page.waitForURL(/\/dashboard/), page.click("#switch-language")]);
  assert.equal(await page.locator("h1").textContent(), "Financial poverty alleviation dashboard");
  await page.waitForSelector("#county-chart[data-chart-ready='1'] canvas");
  await page.screenshot({ path: join(shots, "09-dashboard-en.png"), fullPage: true });
  await Promise.all([page.waitForURL(/\/dashboard/), page.click("#switch-language")]);

  await page.goto(`${baseUrl}/worklist?as_of=${asOf}`);
  assert.equal(await page.locator("h1").textContent(), "三个全覆盖工作清单");
  const listed = await page.locator("#work-list tbody tr").count();
  assert.ok(listed >= 8, `every household without a credit file is listed (${listed})`);
  assert.match(await page.locator("#territory-lists").textContent(), /莲花山乡/, "the township without a bank");
  await page.screenshot({ path: join(shots, "10-worklist.png"), fullPage: true });

  await Promise.all([page.waitForURL(/\/households\/H0001/), page.click("#work-list a:text('H0001')")]);
  assert.equal(await page.locator("#household-id").textContent(), "H0001");
  assert.equal(await page.locator("#members tbody tr").count(), 3);
  assert.match(await page.locator("#members").textContent(), /3611\*{10}/, "ID numbers masked for the regulator");
  assert.equal(await page.locator("#show-ids").count(), 0, "the regulator may not unmask them");
  assert.match(await page.locator("#loans").textContent(), /PY2017001/);
  await page.screenshot({ path: join(shots, "11-household.png"), fullPage: true });

  await Promise.all([page.waitForURL(/\/loans\/PYRCB\/PY2017001/), page.click("#loans a")]);
  await page.waitForSelector("#schedule-chart[data-chart-ready='1'] canvas");
  assert.equal(await page.locator("#schedule tbody tr").count(), 36);
  assert.match(await page.locator("#transfers").textContent(), /disbursement/);
  await page.screenshot({ path: join(shots, "12-loan.png"), fullPage: true });

  await page.goto(`${baseUrl}/returns`);
  const row = page.locator("#returns tbody tr", { hasText: "HFRCB" }).filter({ hasText: "2017-06" });
  await Promise.all([page.waitForURL(/\/returns/), row.locator("button", { hasText: "审核通过" }).click()]);
  assert.match(await page.locator("#returns tbody tr", { hasText: "HFRCB" }).filter({ hasText: "2017-06" }).textContent(), /已审核/);
  await page.screenshot({ path: join(shots, "13-returns.png"), fullPage: true });
  assert.deepEqual(problems, [], "no console errors or CSP violations");
  await context.close();
});

test("poverty office: work list, a household's loan status, an import with its report", async () => {
  const context = await desktop();
  const page = await context.newPage();
  const problems = watch(page);
  await signIn(page, "poverty", `/worklist?as_of=${asOf}`, null);
  assert.equal(await page.locator("#territory-lists").count(), 0, "township lists are the banks' and regulator's");
  await page.screenshot({ path: join(shots, "14-worklist-poverty.png"), fullPage: true });
  await page.goto(`${baseUrl}/households/H0001?as_of=${asOf}`);
  assert.equal(await page.locator("#loans").count(), 0, "no loan details");
  assert.match(await page.locator("#loan-status").textContent(), /PYRCB/, "the loan's status");
  await Promise.all([page.waitForURL(/show_ids=true/), page.click("#show-ids")]);
  assert.doesNotMatch(await page.locator("#members").textContent(), /\*{10}/, "full ID numbers, audited");
  await page.screenshot({ path: join(shots, "15-household-poverty.png"), fullPage: true });

  await page.goto(`${baseUrl}/imports?kind=households`);
  await page.setInputFiles("#file", join(fixtures, "households.csv"));
  await page.fill("input[name=as_of]", asOf);
  await page.click("#upload");
  await page.waitForSelector("#import-result");
  // The fixture also holds Hengfeng's households: outside Poyang's office, so refused, named.
  assert.equal((await page.locator("#error-count").textContent()).trim(), "2");
  assert.match(await page.locator("#import-errors").textContent(), /outside your region/);
  assert.equal(await page.locator("#error-report").count(), 1, "the error report to download");
  await page.screenshot({ path: join(shots, "16-import-report.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test("finance bureau: funds and the approval of a subsidy claim", async () => {
  const context = await desktop();
  const page = await context.newPage();
  const problems = watch(page);
  await signIn(page, "finance", `/funds?as_of=${asOf}&quarter=2017Q1`, null);
  assert.match(await page.locator("#fund-figures").textContent(), /2000000\.00/, "the risk fund deposited");
  const claim = page.locator("#subsidy-claims tr.claim", { hasText: "PYRCB" });
  await Promise.all([page.waitForURL(/\/funds/), claim.locator("button").click()]);
  assert.match(await page.locator("#subsidy-claims tr.claim", { hasText: "PYRCB" }).textContent(), /approved/);
  await page.screenshot({ path: join(shots, "17-funds.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test("bank on a phone: its household and loan", async () => {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: "zh-CN",
  });
  const page = await context.newPage();
  const problems = watch(page);
  await signIn(page, "pyrcb", `/households/H0002?as_of=${asOf}`, null);
  assert.match(await page.locator("#loans").textContent(), /PY2017002/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the household page fits the phone (overflow ${overflow}px)`);
  await page.screenshot({ path: join(shots, "18-household-phone.png"), fullPage: true });
  await page.goto(`${baseUrl}/dashboard?as_of=${asOf}`);
  await page.waitForSelector("#month-chart[data-chart-ready='1'] canvas");
  await page.screenshot({ path: join(shots, "19-dashboard-phone.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});
