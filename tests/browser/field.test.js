// The loan officer's field app (issue #30) in headless Chromium at phone width: sign in, download
// a village, go offline, rate households and record lines, reload offline (the service worker
// serves the app, IndexedDB keeps the visits), come back online, sync, send the same visits
// again (posted once), and find the bank's work list and coverage figures updated; a household
// exited meanwhile is refused with its reason. A role other than the bank's is refused and
// nothing is kept. Screenshots for the guide go to tests/browser/shots/.
//
// Run through scripts/browser-test (FUPIN_BIN names the binary, CHROMIUM the browser).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "./harness.js";

const here = dirname(fileURLToPath(import.meta.url));
const kept = join(here, "shots");
const fixtures = join(here, "fixtures");
const fupinBin = process.env.FUPIN_BIN || join(here, "..", "..", "target", "debug", "fupin");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const password = "correct horse battery";
// The server's business date is the date in China; the browser runs in China's time zone too,
// so the device's visit date is the server's today.
const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);

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

/** A valid resident ID number (GB 11643) of county 361128, born on `birth`, sequence `seq`. */
function residentId(birth, seq) {
  const body = `361128${birth}${seq}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((total, digit, i) => total + Number(digit) * weights[i], 0);
  return body + "10X98765432"[sum % 11];
}

/** 西湖村 (361128100002, PYRCB's township): 王五 of the fixture and four households more. */
function westLake(exitedH0104) {
  const rows = [
    ["H0003", "王五", residentId("19660808", "021"), "disability", "poor"],
    ["H0101", "赵大山", residentId("19750312", "031"), "lack_funds", "poor"],
    ["H0102", "钱秀英", residentId("19810521", "042"), "illness", "poor"],
    ["H0103", "孙国强", residentId("19580917", "053"), "lack_skills", "poor"],
    ["H0104", "李春花", residentId("19690203", "064"), "lack_labour", exitedH0104 ? "exited" : "poor"],
  ];
  const header = "户编号,行政村代码,姓名,证件号码,与户主关系,贫困户属性,主要致贫原因,脱贫状态,识别时间,脱贫年度,人均纯收入,劳动能力\n";
  return header + rows.map(([id, name, idNumber, cause, status]) =>
    [id, "361128100002", name, idNumber, "head", "general", cause, status, "2015-10-01",
      status === "exited" ? today.slice(0, 4) : "", "2600", "normal"].join(",")).join("\n") + "\n";
}

function seed() {
  fupin(["init"]);
  for (const kind of ["regions", "institutions", "assignments"]) {
    fupin(["import", kind, join(fixtures, `${kind}.csv`)]);
  }
  const file = join(workDir, "west-lake.csv");
  writeFileSync(file, westLake(false));
  fupin(["import", "households", file, "--as-of", "2016-12-31"]);
  const users = [
    ["officer", "bank", "361128", "PYRCB", "鄱阳农商行信贷员小周"],
    ["reg", "regulator", "3611", null, "上饶监管"],
    ["admin", "admin", "3611", null, "系统管理员"],
  ];
  for (const [name, role, region, institution, display] of users) {
    const args = ["user", "add", name, "--role", role, "--region", region, "--display-name", display];
    if (institution) args.push("--institution", institution);
    fupin([...args, "--password-stdin"], `${password}\n`);
  }
  // The administrator gives the officer 西湖村 only (东湖村 is the bank's too).
  fupin(["user", "assign-villages", "officer", "361128100002"]);
}

before(async () => {
  mkdirSync(kept, { recursive: true });
  workDir = mkdtempSync(join(tmpdir(), "fupin-field-"));
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

function phone() {
  return browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    locale: "zh-CN",
    timezoneId: "Asia/Shanghai",
    serviceWorkers: "allow",
  });
}

/** Console errors and CSP violations of a page. */
function watch(page) {
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error" && !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(message.text())) {
      problems.push(message.text());
    }
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  return problems;
}

async function signInField(page, name) {
  await page.goto(`${baseUrl}/field/`);
  await page.waitForSelector("#signin");
  await page.fill("input[name=name]", name);
  await page.fill("input[name=password]", password);
  await page.click("#signin button[type=submit]");
}

async function shot(page, name) {
  await page.screenshot({ path: join(kept, name), fullPage: true });
}

/** Rates the open household: one level per factor, a line (or none), a note. */
async function rate(page, levels, line, note) {
  const factors = ["integrity", "labour", "income", "assets", "project"];
  for (let i = 0; i < factors.length; i += 1) {
    await page.selectOption(`select[name=f_${factors[i]}]`, levels[i]);
  }
  await page.fill("input[name=amount]", line);
  await page.fill("textarea[name=note]", note);
}

async function storedCount(page, store) {
  return page.evaluate((name) => new Promise((resolve, reject) => {
    const open = indexedDB.open("fupin-field");
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains(name)) return resolve(0);
      const request = db.transaction(name).objectStore(name).count();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    };
    open.onerror = () => reject(open.error);
  }), store);
}

function csvRows(text) {
  return text.trim().split("\n").slice(1).filter((line) => line.trim() !== "");
}

test("another role is refused and nothing is kept on the device", async () => {
  const context = await phone();
  const page = await context.newPage();
  const problems = watch(page);
  await signInField(page, "reg");
  await page.waitForSelector("#refused");
  assert.match(await page.textContent("#refused"), /仅供银行信贷员/);
  for (const store of ["villages", "households", "visits"]) {
    assert.equal(await storedCount(page, store), 0, `${store} kept for a regulator`);
  }
  const answer = await page.evaluate(async () => (await fetch("/api/field/villages")).status);
  assert.equal(answer, 403);
  const leftovers = await page.evaluate(async () => ({
    workers: (await navigator.serviceWorker.getRegistrations()).length,
    caches: (await caches.keys()).length,
  }));
  assert.deepEqual(leftovers, { workers: 0, caches: 0 }, "no worker and no kept files for a regulator");
  await shot(page, "field-refused-zh-390.png");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a village visit offline, synced once, with a refusal explained", async () => {
  const context = await phone();
  const page = await context.newPage();
  const problems = watch(page);
  await signInField(page, "officer");
  await page.waitForSelector("#choose");
  // The service worker controls the app before the network goes.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve));
    }
  });
  await shot(page, "field-home-empty-zh-390.png");

  // Choose: only the assigned village is offered; download it.
  await page.click("#choose");
  await page.waitForSelector("[data-download]");
  const offered = await page.$$eval("[data-download]", (buttons) => buttons.map((b) => b.dataset.download));
  assert.deepEqual(offered, ["361128100002"], "only 西湖村, assigned by the administrator");
  await page.click("[data-download='361128100002']");
  await page.waitForFunction(() => document.querySelector("[data-download]").textContent === "已下载");
  await shot(page, "field-choose-zh-390.png");
  await page.goto(`${baseUrl}/field/#/`);
  await page.waitForSelector("[data-village='361128100002']");

  // Offline from here.
  await context.setOffline(true);
  await page.click("[data-village='361128100002']");
  await page.waitForSelector("#progress");
  assert.match(await page.textContent("#progress"), /已走访 0 \/ 5 户/);
  // ID numbers reached the device masked.
  await page.click("[data-household='H0101']");
  await page.waitForSelector("#rate");
  assert.match(await page.textContent("table.members"), /3611\*{10}\d{3}[\dX]/);
  assert.doesNotMatch(await page.textContent("table.members"), /361128197503120/);

  // H0101: full marks → 100 → AAA → 50,000; a line of 50,000.
  await rate(page, ["excellent", "skilled", "high", "good", "strong"], "50000", "种茶三亩，有养猪意愿");
  assert.match(await page.textContent("#scoreline"), /得分 100 · 等级 AAA · 建议额度 50,000.00 元/);
  await shot(page, "field-rate-zh-390.png");
  await page.click("#rate button[type=submit]");
  await page.waitForSelector("#visit-result");

  // H0102: 24 + 15 + 14 + 10 + 10 = 73 → A → 10,000; 20,000 is refused on the device first.
  await page.goto(`${baseUrl}/field/#/household/H0102`);
  await page.waitForSelector("#rate");
  await rate(page, ["good", "normal", "medium", "fair", "viable"], "20000", "");
  await page.click("#rate button[type=submit]");
  await page.waitForSelector("#form-problems");
  assert.match(await page.textContent("#form-problems"), /不能超过该等级的建议额度 10,000.00 元/);
  await shot(page, "field-rate-problem-zh-390.png");
  await page.fill("input[name=amount]", "10000");
  await page.click("#rate button[type=submit]");
  await page.waitForSelector("#visit-result");

  // H0103: 15 + 8 + 8 + 5 + 5 = 41 → B: rated, no line.
  await page.goto(`${baseUrl}/field/#/household/H0103`);
  await page.waitForSelector("#rate");
  await rate(page, ["fair", "weak", "low", "poor", "weak"], "", "暂无贷款需求");
  assert.match(await page.textContent("#scoreline"), /得分 41 · 等级 B/);
  await page.click("#rate button[type=submit]");
  await page.waitForSelector("#visit-result");

  // H0104: rated too; it will have exited by the time the officer syncs.
  await page.goto(`${baseUrl}/field/#/household/H0104`);
  await page.waitForSelector("#rate");
  await rate(page, ["good", "normal", "medium", "fair", "viable"], "", "");
  await page.click("#rate button[type=submit]");
  await page.waitForSelector("#visit-result");

  await page.goto(`${baseUrl}/field/#/`);
  await page.waitForSelector("[data-village='361128100002']");
  await shot(page, "field-home-zh-390.png");

  // H0003: no labour capacity — exempt, not rated; a line is refused on the device.
  await page.goto(`${baseUrl}/field/#/household/H0003`);
  await page.waitForSelector("#rate");
  await page.selectOption("select[name=exempt_reason]", "no_labour");
  await page.fill("input[name=amount]", "5000");
  await page.click("#rate button[type=submit]");
  await page.waitForSelector("#form-problems");
  assert.match(await page.textContent("#form-problems"), /不评级的户不能授信/);
  await page.fill("input[name=amount]", "");
  await page.click("#rate button[type=submit]");
  await page.waitForSelector("#visit-result");
  assert.match(await page.textContent("#visit-result"), /无劳动能力/);

  // Reload with the network off: the service worker serves the app, IndexedDB the visits.
  await page.goto(`${baseUrl}/field/#/village/361128100002`);
  await page.reload();
  await page.waitForSelector("#progress");
  assert.match(await page.textContent("#progress"), /已走访 5 \/ 5 户/);
  assert.match(await page.textContent("#net"), /离线/);
  await shot(page, "field-village-offline-zh-390.png");
  assert.equal(await storedCount(page, "visits"), 5);

  // Meanwhile the poverty office's registry says H0104 exited poverty today.
  const file = join(workDir, "west-lake-exit.csv");
  writeFileSync(file, westLake(true));
  fupin(["import", "households", file, "--as-of", today]);

  // Back online: sync.
  await context.setOffline(false);
  await page.waitForFunction(() => navigator.onLine && document.querySelector("#net").textContent === "在线");
  await page.goto(`${baseUrl}/field/#/sync`);
  await page.waitForSelector("#send:not([disabled])");
  try { await page.click("#send", { timeout: 10000 }); } catch (e) { console.log("DEBUG", page.url(), await page.innerHTML("body")); throw e; }
  await page.waitForSelector("#sync-message");
  const states = await page.$$eval("#visits li", (items) =>
    Object.fromEntries(items.map((li) => [li.dataset.visit, li.querySelector(".badge").textContent])));
  assert.deepEqual(states, { H0003: "已同步", H0101: "已同步", H0102: "已同步", H0103: "已同步", H0104: "被拒绝" });
  const refusal = await page.textContent("[data-visit='H0104'] .reason");
  assert.match(refusal, /该户在下载后已脱贫退出/);
  // The whole reason in Chinese, worded from the server's parameters: no English left.
  assert.ok(refusal.includes(`农户 H0104 在您下载后已脱贫退出（${today.slice(0, 4)} 年，名单自 ${today} 起）。`), refusal);
  assert.doesNotMatch(refusal, /[A-Za-z]{3,}/);
  await shot(page, "field-sync-zh-390.png");

  const files = () => csvRows(fupin(["credit", "files", "--institution", "PYRCB", "--format", "csv"]));
  const lines = () => csvRows(fupin(["credit", "lines", "--institution", "PYRCB", "--format", "csv"]));
  assert.equal(files().length, 4, "three ratings and an exemption");
  assert.equal(lines().length, 2, "two credit lines");
  assert.ok(files().some((row) => row.includes("H0101") && row.includes("AAA")));
  assert.ok(lines().some((row) => row.includes("H0102") && row.includes("10000")));

  // The same visits sent again: answered as replays, posted once.
  await page.click("#resend");
  await page.waitForSelector("#sync-message");
  assert.equal(files().length, 4, "still four credit files");
  assert.equal(lines().length, 2, "still two credit lines");
  // Sending a visit's exact request again by hand: the same answer, marked a replay.
  const again = await page.evaluate(async () => {
    const visits = await new Promise((resolve) => {
      const open = indexedDB.open("fupin-field");
      open.onsuccess = () => {
        const request = open.result.transaction("visits").objectStore("visits").getAll();
        request.onsuccess = () => resolve(request.result);
      };
    });
    const visit = visits.find((v) => v.household_id === "H0101");
    const session = await (await fetch("/api/session")).json();
    const response = await fetch("/api/field/visits", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": session.csrf_token, "Idempotency-Key": visit.visit_id },
      body: visit.body,
    });
    return { status: response.status, replayed: response.headers.get("idempotent-replayed"), body: await response.json() };
  });
  assert.equal(again.status, 200);
  assert.equal(again.replayed, "true");
  assert.equal(again.body.status, "accepted");
  assert.equal(files().length, 4);

  // The refused visit, opened: its reason, and the form to rate again after a new download.
  await page.goto(`${baseUrl}/field/#/household/H0104`);
  await page.waitForSelector("#visit-result .reason");
  await shot(page, "field-refused-visit-zh-390.png");

  // The bank's work list and coverage figures, as of today: 5 registered in PYRCB's township
  // (西湖村; no other registry was imported), H0003 exempt, so 4 eligible; 3 rated, 2 with a
  // line; H0101 and H0102 covered, H0103 lacks a line, H0104 both.
  await page.goto(`${baseUrl}/worklist?as_of=${today}`);
  const worklist = await page.textContent("main");
  assert.match(worklist, /建档评级75.00 %3 户 \/ 4 户/, "rated");
  assert.match(worklist, /授信50.00 %2 户 \/ 4 户/, "with a line");
  const listed = await page.$$eval("table a[href^='/households/']", (links) => links.map((a) => a.textContent.trim()));
  assert.ok(!["H0101", "H0102", "H0003"].some((id) => listed.includes(id)), `covered or exempt households left the list: ${listed}`);
  assert.ok(listed.includes("H0103") && listed.includes("H0104"), `${listed}`);
  await shot(page, "field-worklist-after-zh-390.png");

  // English switch of the app.
  await page.goto(`${baseUrl}/field/#/sync`);
  await page.waitForSelector("#visits");
  await page.click("#lang");
  await page.waitForFunction(() => document.querySelector("#title").textContent === "Village visit");
  await shot(page, "field-sync-exited-en-390.png");
  await page.click("#lang");

  // The phone is lost: the administrator revokes the officer's sessions on the users page.
  const office = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  const adminPage = await office.newPage();
  await adminPage.goto(`${baseUrl}/signin?next=/users`);
  await adminPage.fill("#name", "admin");
  await adminPage.fill("#password", password);
  await Promise.all([adminPage.waitForURL((url) => url.pathname === "/users"), adminPage.click("#sign-in")]);
  // First the administrator gives the officer 东湖村 too, on the same page, then takes it back.
  await adminPage.fill("#assign-villages input[name=villages]", "361128100001");
  await adminPage.selectOption("#assign-villages select[name=user]", "officer");
  await Promise.all([adminPage.waitForNavigation(), adminPage.click("#assign-submit")]);
  await adminPage.waitForSelector("#users-done");
  const assignedRow = await adminPage.textContent("tr[data-officer='officer']");
  assert.match(assignedRow, /东湖村\s*361128100001/, "the name beside the code");
  assert.match(assignedRow, /西湖村\s*361128100002/);
  await adminPage.screenshot({ path: join(kept, "users-villages-zh-1440.png"), fullPage: true });
  const officerVillages = await page.evaluate(async () => (await (await fetch("/api/field/villages")).json()).villages.map((v) => v.code));
  assert.deepEqual(officerVillages.sort(), ["361128100001", "361128100002"]);
  // A code that names no village is refused, named, in Chinese.
  await adminPage.fill("#assign-villages input[name=villages]", "361128100099");
  await Promise.all([adminPage.waitForNavigation(), adminPage.click("#assign-submit")]);
  assert.match(await adminPage.textContent("#users-error"), /区划中没有村代码 361128100099/);
  const unassign = adminPage.locator("tr[data-officer='officer'] form.village:has(input[value='361128100001']) button");
  await Promise.all([adminPage.waitForNavigation(), unassign.click()]);
  await adminPage.waitForSelector("#users-done");
  assert.doesNotMatch(await adminPage.textContent("tr[data-officer='officer']"), /东湖村/);
  const revoke = adminPage.locator("tr[data-user='officer'] form[action$='/revoke-sessions'] button");
  assert.equal(await revoke.textContent(), "注销所有登录");
  await adminPage.screenshot({ path: join(kept, "users-revoke-zh-1440.png"), fullPage: true });
  await adminPage.setViewportSize({ width: 390, height: 844 });
  await adminPage.screenshot({ path: join(kept, "users-revoke-zh-390.png"), fullPage: true });
  await Promise.all([adminPage.waitForURL((url) => url.pathname === "/users"), revoke.click()]);
  await office.close();
  const signedOut = await page.evaluate(async () => (await fetch("/api/field/villages")).status);
  assert.equal(signedOut, 401, "the lost phone's session no longer works");
  // The app asks the officer to sign in again before anything goes to the server.
  await page.goto(`${baseUrl}/field/#/choose`);
  await page.reload();
  await page.waitForSelector("#signin");
  await page.fill("input[name=name]", "officer");
  await page.fill("input[name=password]", password);
  await page.click("#signin button[type=submit]");
  await page.waitForSelector("#choose");

  // A download whose days are over is deleted when the app opens (here: its expiry moved into
  // the past on the device).
  await page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open("fupin-field");
    open.onsuccess = () => {
      const store = open.result.transaction("villages", "readwrite").objectStore("villages");
      const read = store.get("361128100002");
      read.onsuccess = () => {
        const village = read.result;
        village.expires_at = "2000-01-01T00:00:00Z";
        store.put(village).onsuccess = () => resolve();
      };
      read.onerror = () => reject(read.error);
    };
  }));
  await page.goto(`${baseUrl}/field/#/`);
  await page.reload();
  await page.waitForSelector("#choose");
  assert.equal(await storedCount(page, "villages"), 0, "expired village deleted");
  assert.equal(await storedCount(page, "households"), 0, "its households deleted");
  assert.equal(await storedCount(page, "visits"), 0, "its settled visits deleted");

  // Sign-out deletes everything downloaded.
  await page.goto(`${baseUrl}/field/#/`);
  await page.waitForSelector("#signout");
  await page.click("#signout");
  await page.waitForSelector("#signin");
  for (const store of ["villages", "households", "visits"]) {
    assert.equal(await storedCount(page, store), 0, `${store} left after sign-out`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test("a household rated by someone else after the download is refused, explained in Chinese", async () => {
  const context = await phone();
  const page = await context.newPage();
  const problems = watch(page);
  await signInField(page, "officer");
  await page.waitForSelector("#choose");
  await page.click("#choose");
  await page.waitForSelector("[data-download='361128100002']");
  await page.click("[data-download='361128100002']");
  await page.waitForFunction(() => document.querySelector("[data-download]").textContent === "已下载");
  await page.goto(`${baseUrl}/field/#/household/H0103`);
  await page.waitForSelector("#rate");
  await rate(page, ["good", "normal", "medium", "fair", "viable"], "", "复核评级");
  await page.click("#rate button[type=submit]");
  await page.waitForSelector("#visit-result");
  // Meanwhile the bank rates H0103 from its own system (the command line), after the download.
  fupin(["credit", "rate", "--household", "H0103", "--institution", "PYRCB", "--on", today, "--score", "60"]);
  const before = csvRows(fupin(["credit", "files", "--institution", "PYRCB", "--format", "csv"])).length;
  await page.goto(`${baseUrl}/field/#/sync`);
  await page.waitForSelector("#send:not([disabled])");
  await page.click("#send");
  await page.waitForSelector("#sync-message");
  assert.equal(await page.textContent("[data-visit='H0103'] .badge"), "被拒绝");
  const reason = await page.textContent("[data-visit='H0103'] .reason");
  assert.ok(reason.startsWith("下载后已有人对该户评级，未覆盖：本行已于 " + today + " 对农户 H0103 评级（等级 "), reason);
  assert.match(reason, /在您下载之后：请重新下载本村，查看后再评级。$/);
  assert.doesNotMatch(reason, /[a-z]{3,}/, "no English words");
  assert.equal(csvRows(fupin(["credit", "files", "--institution", "PYRCB", "--format", "csv"])).length, before, "nothing written");
  await shot(page, "field-conflict-zh-390.png");

  // The app's pages in English at phone width, and in both languages 1440 wide.
  const views = [["home", "#/", "[data-village='361128100002']"], ["village", "#/village/361128100002", "#progress"],
    ["household", "#/household/H0103", "#visit-result"], ["sync", "#/sync", "#visits"], ["choose", "#/choose", "[data-download]"]];
  for (const [lang, title] of [["en", "Village visit"], ["zh", "入户走访"]]) {
    if ((await page.textContent("#title")) !== title) {
      await page.click("#lang");
      await page.waitForFunction((want) => document.querySelector("#title").textContent === want, title);
    }
    for (const width of lang === "en" ? [390, 1440] : [1440]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      for (const [name, hash, marker] of views) {
        await page.goto(`${baseUrl}/field/${hash}`);
        await page.waitForSelector(marker);
        await shot(page, `field-${name}-${lang}-${width}.png`);
      }
    }
  }
  assert.deepEqual(problems, []);
  await context.close();
});
