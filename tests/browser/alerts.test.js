// The alerts pages in a real browser: a rule added as data through the command line, evaluated
// for a date; the regulator's list and an alert's evidence, in Chinese and English, at 1440 and
// 390 px; the bank answers on the page and sees its answer. Screenshots under shots/.
//
// Run through scripts/browser-test (FUPIN_BIN names the binary, CHROMIUM the browser).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer, watch } from "./harness.js";

const here = dirname(fileURLToPath(import.meta.url));
const kept = join(here, "shots");
const fixtures = join(here, "fixtures");
const fupinBin = process.env.FUPIN_BIN || join(here, "..", "..", "target", "debug", "fupin");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const password = "correct horse battery";

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

function seed() {
  fupin(["init"]);
  for (const kind of ["regions", "institutions", "assignments", "households", "products", "loans"]) {
    const extra = kind === "households" ? ["--as-of", "2016-12-31"] : [];
    fupin(["import", kind, join(fixtures, `${kind}.csv`), ...extra]);
  }
  // A rule added as data: loans of 30,000 yuan or more (no code).
  fupin([
    "alerts", "rule", "--code", "LARGE_LOAN", "--name-zh", "单笔3万元及以上", "--name-en", "Loan of 30,000 yuan or more",
    "--severity", "low", "--subject", "loan", "--condition", "is_microcredit = 1 and amount_fen >= cap_fen",
    "--parameters", '{"cap_fen": 3000000}', "--regulation", "上饶银监分局 2017年监管提示",
    "--definition", "A poverty micro-credit loan of cap_fen or more.",
  ]);
  const run = fupin(["alerts", "run", "--date", "2017-06-30"]);
  assert.match(run, /LARGE_LOAN\t[1-9]/, run);
  for (const [name, role, region, institution] of [["reg", "regulator", "3611", null], ["pyrcb", "bank", "361128", "PYRCB"]]) {
    const args = ["user", "add", name, "--role", role, "--region", region];
    if (institution) args.push("--institution", institution);
    fupin([...args, "--password-stdin"], `${password}\n`);
  }
}

before(async () => {
  mkdirSync(kept, { recursive: true });
  workDir = mkdtempSync(join(tmpdir(), "fupin-alerts-"));
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

function context(width, locale) {
  const phone = width < 500;
  return browser.newContext({
    viewport: { width, height: phone ? 844 : 900 },
    locale,
    ...(phone ? { isMobile: true, hasTouch: true } : {}),
  });
}

for (const [locale, lang] of [["zh-CN", "zh"], ["en-US", "en"]]) {
  for (const width of [1440, 390]) {
    test(`the regulator's alerts and one alert's evidence, ${lang} at ${width} px`, async () => {
      const ctx = await context(width, locale);
      const page = await ctx.newPage();
      const problems = watch(page);
      await signIn(page, "reg", "/alerts");
      const title = lang === "zh" ? "监管预警" : "Supervisory alerts";
      assert.equal((await page.locator("h1").textContent()).trim(), title);
      const rows = page.locator("#alerts tr.alert-row");
      assert.ok((await rows.count()) >= 1, "the planted alert is listed");
      const ruleName = lang === "zh" ? "单笔3万元及以上" : "Loan of 30,000 yuan or more";
      assert.match(await page.locator("#alerts").textContent(), new RegExp(ruleName));
      assert.match(await page.locator("#alert-counts").textContent(), new RegExp(ruleName));
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the list fits (overflow ${overflow}px)`);
      await page.screenshot({ path: join(kept, `alerts-${lang}-${width}.png`), fullPage: true });

      await page.locator("#alerts tr.alert-row a").first().click();
      await page.waitForSelector("#alert-detail");
      const facts = await page.locator("#alert-facts").textContent();
      assert.match(facts, lang === "zh" ? /贷款金额/ : /Amount/);
      assert.match(facts, lang === "zh" ? /3\.00 万元/ : /3\.00/);
      const detailOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(detailOverflow <= 1, `the alert fits (overflow ${detailOverflow}px)`);
      await page.screenshot({ path: join(kept, `alert-${lang}-${width}.png`), fullPage: true });
      assert.deepEqual(problems, []);
      await ctx.close();
    });
  }
}

test("the bank answers its alert on the page; it may not dismiss", async () => {
  const ctx = await context(1440, "zh-CN");
  const page = await ctx.newPage();
  const problems = watch(page);
  await signIn(page, "pyrcb", "/alerts");
  const rows = page.locator("#alerts tr.alert-row");
  assert.ok((await rows.count()) >= 1, "the bank sees its own alert");
  await page.locator("#alerts tr.alert-row a").first().click();
  await page.waitForSelector("#answer-form");
  const kinds = await page.locator("#answer-form select[name=kind] option").evaluateAll((o) => o.map((x) => x.value));
  assert.deepEqual(kinds, ["explain", "correct", "escalate"], "no dismissal for a bank");
  await page.selectOption("#answer-form select[name=kind]", "explain");
  await page.fill("#answer-form input[name=note]", "借款人种植茶叶30亩，资金需求属实");
  await Promise.all([page.waitForURL(/\/alerts\/\d+$/), page.click("#answer-form button")]);
  assert.equal((await page.locator("#alert-status").textContent()).trim(), "已说明");
  assert.match(await page.locator("#alert-answers").textContent(), /资金需求属实/);
  await page.screenshot({ path: join(kept, "alert-answered-zh-1440.png"), fullPage: true });
  const download = await Promise.all([page.waitForEvent("download"), page.goto(`${baseUrl}/alerts`).then(() => page.click("#work-list"))]);
  assert.match(download[0].suggestedFilename(), /\.xlsx$/);
  assert.deepEqual(problems, []);
  await ctx.close();
});
