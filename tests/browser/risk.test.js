// The loss waterfall and its approvals in a browser (issue #27): Hengfeng's loan HF2017001
// (40,000 yuan, never repaid) is guaranteed 50 % by the county guarantee fund and insured 20 %
// by guarantee insurance, which paid the bank 8,000 in April. End of day reaches the trigger
// (90 days overdue) and shares the loss: insurance 8,000; the fund guarantees 50 % of the
// 32,000 left = 16,000 and pays 80 % = 12,800; the risk fund 80 % of the 16,000 left = 12,800.
// The finance bureau approves the fund's claim on /guarantees (confirming the dialog), then
// reads the waterfall on /funds in Chinese and English; a premium subsidy is approved on
// /insurance. Screenshots at 1440 and 390 px wide, in both languages, go to
// tests/browser/screenshots/ (risk-*.png).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer, watch } from "./harness.js";

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, "screenshots");
const fixtures = join(here, "fixtures");
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

function importText(kind, text) {
  const file = join(workDir, `${kind}.csv`);
  writeFileSync(file, text);
  fupin(["import", kind, file]);
}

function seed() {
  fupin(["init"]);
  for (const kind of ["regions", "institutions", "households", "products", "loans", "repayments", "fund_deposits"]) {
    const extra = kind === "households" ? ["--as-of", "2016-12-31"] : [];
    fupin(["import", kind, join(fixtures, `${kind}.csv`), ...extra]);
  }
  importText("institutions", "code,name,type,region_code\nPICC-HF,人保财险横峰支公司,other,361125\n");
  importText("fund_deposits", "id,county_code,fund,deposited_on,amount\nGF1,361125,guarantee,2017-01-01,500000\nSF1,361125,subsidy,2017-01-01,100000\n");
  fupin(["funds", "risk-settings", "--county", "361125", "--from", "2016-01-01", "--leverage", "8", "--share", "80%", "--trigger-days", "90"]);
  fupin(["guarantees", "fund-settings", "--county", "361125", "--from", "2017-01-01", "--leverage", "5", "--share", "80%"]);
  fupin(["guarantees", "product-terms", "--product", "HFMC", "--kinds", "county_fund", "--cap", "100%"]);
  fupin(["guarantees", "add", "--institution", "HFRCB", "--loan", "HF2017001", "--kind", "county_fund", "--guarantor", "361125",
    "--contract", "DB-HF1", "--share", "50%", "--signed-on", "2017-02-01", "--fee-rate", "1%", "--fee-subsidy", "50%"]);
  fupin(["guarantees", "fee", "--institution", "HFRCB", "--loan", "HF2017001", "--contract", "DB-HF1", "--id", "GF-HF1", "--paid-on", "2017-02-01"]);
  importText("insurance_policies",
    "insurer_code,policy_no,kind,institution_code,contract_no,household_id,county_code,activity,sum_insured,premium,default_share,starts_on,ends_on,central_share,provincial_share,county_share,farmer_share\n" +
    "PICC-HF,BZ-1,guarantee,HFRCB,HF2017001,,,,40000,400,20%,2017-02-01,2020-02-01,0,0,0,100%\n" +
    "PICC-HF,SZ-1,livestock,,,H0007,361125,生猪,20000,1000,,2017-01-01,2017-12-31,50%,25%,5%,20%\n");
  importText("insurance_premiums", "insurer_code,policy_no,id,paid_on,amount\nPICC-HF,SZ-1,1,2017-01-10,1000\n");
  importText("insurance_claims",
    "insurer_code,policy_no,claim_no,event,occurred_on,reported_on,claimed,state,assessed,assessed_on,decided_on\n" +
    "PICC-HF,BZ-1,BZ-1-1,default,2017-04-01,2017-04-02,8000,paid,8000,2017-04-05,2017-04-10\n");
  fupin(["eod", "--through", asOf, "--from", "2017-01-01"]);
  const users = [
    ["finance", "finance", "361125", null, "横峰县财政局"],
    ["picc", "insurer", "361125", "PICC-HF", "人保财险横峰支公司"],
  ];
  for (const [name, role, region, institution, display] of users) {
    const args = ["user", "add", name, "--role", role, "--region", region, "--display-name", display];
    if (institution) args.push("--institution", institution);
    fupin([...args, "--password-stdin"], `${password}\n`);
  }
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  workDir = mkdtempSync(join(tmpdir(), "fupin-browser-risk-"));
  dbUrl = `sqlite:${join(workDir, "fupin.db")}`;
  seed();
  ({ server, url: baseUrl } = await startServer(fupinBin, dbUrl));
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

async function signIn(page, name, target) {
  await page.goto(`${baseUrl}${target}`);
  await page.fill("#name", name);
  await page.fill("#password", password);
  const path = target.split("?")[0];
  await Promise.all([page.waitForURL((url) => url.pathname === path), page.click("#sign-in")]);
}

async function fits(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `${what} fits the width (overflow ${overflow}px)`);
}

test("finance bureau: approves the guarantee claim, reads the waterfall in both languages", async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  const page = await context.newPage();
  const problems = watch(page);
  const dialogs = [];
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.accept();
  });
  await signIn(page, "finance", "/guarantees");
  const claim = page.locator("#guarantee-claims tbody tr", { hasText: "县担保基金" });
  assert.match(await claim.textContent(), /1\.28 万元/, "the fund's 12,800.00");
  assert.match(await claim.textContent(), /待审批/);
  const fee = page.locator("#guarantee-fees tbody tr", { hasText: "GF-HF1" });
  assert.match(await fee.textContent(), /400\.00 元|0\.04 万元/, "the fee of 400.00");
  await page.screenshot({ path: join(shots, "risk-guarantees-zh-1440.png"), fullPage: true });
  await Promise.all([page.waitForURL(/\/guarantees/), claim.locator("button").click()]);
  assert.equal(dialogs.length, 1, "the approval asked first");
  assert.match(dialogs[0], /确认由本方承担这笔担保代偿/);
  assert.match(await page.locator("#guarantee-claims tbody tr", { hasText: "县担保基金" }).textContent(), /已审批/);
  // The fee subsidy too.
  await Promise.all([page.waitForURL(/\/guarantees/), page.locator("#guarantee-fees tbody tr", { hasText: "GF-HF1" }).locator("button").click()]);
  assert.match(await page.locator("#guarantee-fees tbody tr", { hasText: "GF-HF1" }).textContent(), /已审批拨付/);

  await page.goto(`${baseUrl}/funds?region=361125&as_of=${asOf}`);
  const payers = page.locator("#waterfall-payers");
  const rows = await payers.locator("tbody tr").allInnerTexts();
  assert.match(rows[0], /保险\s+8,000\.00 元/, `insurance first: ${rows}`);
  assert.match(await payers.innerText(), /县担保基金\s+1\.28 万元/);
  assert.match(await payers.innerText(), /分担损失\s+4\.00 万元/);
  assert.match(await page.locator("#waterfall").innerText(), /担保费收入/);
  await page.waitForSelector("#waterfall-chart[data-chart-ready='1'] canvas");
  await page.screenshot({ path: join(shots, "risk-funds-zh-1440.png"), fullPage: true });

  await Promise.all([page.waitForURL(/\/funds/), page.click("#switch-language")]);
  const english = await page.locator("#waterfall-payers").innerText();
  assert.match(english, /Insurance\s+8,000\.00/, english);
  assert.match(english, /County guarantee fund\s+1\.28 10k yuan/, english);
  assert.match(english, /Losses shared/);
  await page.waitForSelector("#waterfall-chart[data-chart-ready='1'] canvas");
  await page.screenshot({ path: join(shots, "risk-funds-en-1440.png"), fullPage: true });
  await page.goto(`${baseUrl}/guarantees`);
  await page.screenshot({ path: join(shots, "risk-guarantees-en-1440.png"), fullPage: true });
  await page.goto(`${baseUrl}/insurance`);
  await page.screenshot({ path: join(shots, "risk-insurance-en-1440.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test("finance bureau on a phone: a premium subsidy approved on /insurance", async () => {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "zh-CN",
  });
  const page = await context.newPage();
  const problems = watch(page);
  page.on("dialog", (dialog) => dialog.accept());
  await signIn(page, "finance", "/insurance");
  const premium = page.locator("#insurance-premiums tbody tr", { hasText: "SZ-1" });
  assert.match(await premium.textContent(), /待财政审批/);
  await page.screenshot({ path: join(shots, "risk-insurance-zh-390.png"), fullPage: true });
  await Promise.all([page.waitForURL(/\/insurance/), premium.locator("button").click()]);
  assert.equal(await page.locator("#insurance-premiums tbody tr", { hasText: "SZ-1" }).count(), 0, "no longer pending");
  await page.goto(`${baseUrl}/funds?region=361125&as_of=${asOf}`);
  await page.waitForSelector("#waterfall-chart[data-chart-ready='1'] canvas");
  await fits(page, "the funds page");
  await page.screenshot({ path: join(shots, "risk-funds-zh-390.png"), fullPage: true });
  await page.goto(`${baseUrl}/guarantees`);
  await page.screenshot({ path: join(shots, "risk-guarantees-zh-390.png"), fullPage: true });
  // On a phone the language link sits in the folded menu: follow it directly.
  await page.goto(`${baseUrl}/lang/en?next=${encodeURIComponent(`/funds?region=361125&as_of=${asOf}`)}`);
  await page.waitForSelector("#waterfall-chart[data-chart-ready='1'] canvas");
  await page.screenshot({ path: join(shots, "risk-funds-en-390.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test("insurer: its claims with the decision buttons, in Chinese", async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  const page = await context.newPage();
  const problems = watch(page);
  await signIn(page, "picc", "/insurance");
  assert.match(await page.locator("#insurance-claims").innerText(), /BZ-1-1/);
  assert.ok(await page.locator("#report-claim").count() === 1, "the report form");
  await page.screenshot({ path: join(shots, "risk-insurance-zh-1440.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});
