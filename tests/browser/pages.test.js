// Headless Chromium drives `fupin serve` on a fresh SQLite database: sign in, open the coverage
// page (with its ECharts pie), switch the language, look at it on a phone; screenshots go to
// tests/browser/screenshots/ (gitignored).
//
// Run through scripts/browser-test, which installs Chromium and builds `fupin` first.
// FUPIN_BIN names the binary; CHROMIUM the browser (default /usr/bin/chromium).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
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

function writeFile(name, content) {
  const path = join(workDir, name);
  writeFileSync(path, content);
  return path;
}

/** A small territory: two counties' townships and villages, banks, responsibility, outlets. */
function seed() {
  fupin(["init"]);
  const files = {
    regions:
      "code,name,population\n" +
      "361128100,饶州街道,52000\n361128100001,东湖村,2100\n361128100002,西湖村,1800\n" +
      "361128101,鸦鹊湖乡,31000\n361128101001,鸦鹊村,1500\n361128101002,湖滨村,1200\n" +
      "361128102,莲花山乡,22000\n361128102001,莲花村,900\n" +
      "361125100,岑阳镇,40000\n361125100001,岑阳村,1600\n361125100002,兴安村,1100\n",
    institutions:
      "机构代码,机构名称,英文名称,机构类型,所在地区代码\n" +
      "PYRCB,鄱阳农商银行,Poyang Rural Commercial Bank,农村合作金融机构,361128\n" +
      "HFRCB,横峰农商银行,Hengfeng Rural Commercial Bank,农村合作金融机构,361125\n" +
      "ABC-SR,中国农业银行上饶分行,Agricultural Bank of China Shangrao,大型商业银行,361100\n" +
      "PSBC-SR,中国邮政储蓄银行上饶分行,Postal Savings Bank Shangrao,邮储银行,361100\n",
    assignments:
      "township_code,institution_code,effective_from\n" +
      "361128100,PYRCB,2016-01-01\n361128101,PSBC-SR,2016-01-01\n361125100,HFRCB,2016-01-01\n",
    service_points:
      "id,village_code,institution_code,kind,services,opened_on\n" +
      "S1,361128100001,PYRCB,outlet,查询;取款,2015-01-01\n" +
      "S2,361128100002,PYRCB,助农取款点,取款,2015-01-01\n" +
      "S3,361128101001,PSBC-SR,atm,取款,2015-01-01\n" +
      "S4,361125100001,HFRCB,outlet,查询;取款;转账,2015-01-01\n" +
      "S5,361125100002,HFRCB,mobile,查询,2015-01-01\n",
  };
  for (const [kind, content] of Object.entries(files)) {
    fupin(["import", kind, writeFile(`${kind}.csv`, content)]);
  }
  fupin(
    ["user", "add", "reg", "--role", "regulator", "--region", "3611", "--display-name", "上饶监管", "--password-stdin"],
    `${password}\n`,
  );
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

async function signIn(page) {
  await page.goto(`${baseUrl}/coverage?as_of=${asOf}`);
  assert.match(page.url(), /\/signin\?next=/, "strangers are sent to sign in");
  await page.screenshot({ path: join(shots, "01-sign-in.png"), fullPage: true });
  await page.fill("#name", "reg");
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(/\/coverage/), page.click("#sign-in")]);
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
