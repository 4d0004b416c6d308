// The loan officer's field app (issue #30). Plain script, no build step: sign in online, download
// villages' work lists into IndexedDB, rate households offline with the downloaded scorecard
// (checked here exactly as the server checks it), sync each visit with its device-made id as the
// Idempotency-Key. Downloaded personal data is deleted when it expires and on sign-out.
"use strict";
(function () {
  const DB_NAME = "fupin-field";
  const STORES = ["meta", "villages", "households", "visits"];
  const app = document.getElementById("app");
  let db;
  let lang = "zh";
  let session = null; // {user, csrf_token} while signed in online

  // ---------------------------------------------------------------------------------------------
  // words

  const T = {
    zh: {
      title: "入户走访", online: "在线", offline: "离线", loading: "正在加载…",
      signin: "登录", name: "用户名", password: "密码", signout: "退出登录",
      signin_needed: "请先联网登录。", signin_failed: "登录失败：",
      refused_role: "此应用仅供银行信贷员（银行角色）使用：您的角色不能下载农户数据，本设备没有保存任何数据。",
      my_villages: "已下载的村", none_downloaded: "还没有下载任何村。联网后选择村庄下载工作清单。",
      choose: "选择村庄下载", download: "下载", downloaded: "已下载", redownload: "重新下载",
      households_n: (n) => `${n} 户`, progress: (done, total) => `已走访 ${done} / ${total} 户`,
      expires: "到期删除", as_of: "数据日期", scorecard: "评分表",
      sync: "同步", sync_n: (n) => `同步（${n} 条待发送）`, nothing_to_sync: "没有待同步的走访。",
      resend: "再次发送已同步记录（核对）", need_online: "需要联网。",
      back: "返回", household: "农户", members: "家庭成员", status: "状态",
      latest_file: "本行最近评级", line_in_force: "本行有效授信", none: "无",
      rate: "评级", visit_date: "走访日期", factor_points: (w) => `满分 ${w}`,
      choose_level: "请选择", score: "得分", grade: "等级", recommended: "建议额度",
      agreed_line: "约定授信额度（元，可空）", line_expires: "授信到期日", note: "备注",
      save: "保存（离线）", saved: "已保存在本设备，联网后同步。",
      pending: "待同步", accepted: "已同步", refused: "被拒绝", not_visited: "未走访",
      redo: "重新评级", result: "同步结果",
      sent: (n, ok, no, left) => `已发送 ${n} 条：${ok} 条已同步，${no} 条被拒绝${left ? `；${left} 条未发出（网络中断）` : ""}。`,
      download_again: "该户的走访被拒绝。请联网重新下载本村，核对最新情况后再评级。", replayed: "（重复发送，服务器只记录一次）",
      synced_at: "同步", sure_signout: "还有未同步的走访，退出将删除它们。确定退出？",
      problems: "请更正：", missing: (f) => `${f}：未填写`,
      not_level: (f, w) => `${f}：须选择等级或填写 0 到 ${w} 的整数分`,
      amount_bad: "授信额度须为正数金额（元，最多两位小数）",
      amount_cap: (cap) => `授信额度不能超过该等级的建议额度 ${cap}`,
      amount_max: (max) => `授信额度不能超过小额信贷上限 ${max}`,
      no_line_grade: (g) => `等级 ${g} 没有授信额度`,
      expires_bad: "授信到期日须晚于走访日期", date_bad: "走访日期无效或晚于今天",
      keep_days: (d) => `下载的数据在本设备保留 ${d} 天，退出登录时删除。`,
      masked: "身份证号已脱敏",
      exempt: "不评级原因（不评级时选择）", exempt_none: "评级（不选）", exempt_no_line: "不评级的户不能授信",
      exempt_reasons: { no_labour: "无劳动能力", no_need: "无贷款需求", age: "年龄不符", bad_credit: "不良信用", other: "其他" },
      reason: {
        out_of_scope: "该村不属于您负责的村",
        not_registered: "该户已不在建档立卡名单中",
        household_exited: "该户在下载后已脱贫退出",
        household_changed: "该户信息在下载后已变更，请重新下载",
        scorecard_changed: "评分表版本已更换，请重新下载后评级",
        rated_since_download: "下载后已有人对该户评级，未覆盖",
        future_date: "走访日期晚于今天",
        invalid: "数据未通过服务器校验",
      },
      // The whole reason, worded from the server's parameters (reason_params).
      detail: {
        out_of_scope: (p) => `村 ${p.village} 不是您的走访村：贵行不负责该村，或该村未分配给您。`,
        not_registered: (p) => `农户 ${p.household} 在 ${p.visit_date} 不在建档立卡名单中。`,
        household_exited: (p) => `农户 ${p.household} 在您下载后已脱贫退出（${p.exited_year} 年，名单自 ${p.registry_from} 起）。`,
        household_changed: (p) => p.village_now
          ? `农户 ${p.household} 现居村 ${p.village_now}，不是村 ${p.village}：请重新下载本村。`
          : `农户 ${p.household} 的建档信息在您下载后于 ${p.registry_from} 变更（下载的是 ${p.downloaded_from} 起的版本）：请重新下载本村。`,
        scorecard_changed: (p) => `${p.visit_date} 有效的评分表是 ${p.scorecard_now === "none" ? "无" : p.scorecard_now}，不是下载的 ${p.scorecard_downloaded}：请重新下载本村，按有效的评分表评级。`,
        rated_since_download: (p) => `本行已于 ${p.assessed_on} 对农户 ${p.household} 评级（等级 ${p.grade}），在您下载之后：请重新下载本村，查看后再评级。`,
        future_date: (p) => `走访日期 ${p.visit_date} 晚于今天 ${p.today}。`,
        invalid: (p, words) => `服务器按信贷规则拒绝了（与本应用离线校验的规则相同）：${fieldWords(p, "zh") || words}。`,
      },
      fields: {
        amount: "授信额度", expires_on: "授信到期日", household_id: "农户编号", institution_code: "机构代码",
        exempt_reason: "不评级原因", score: "得分", grade: "等级", recommended_line: "建议额度", factors: "评分因子",
      },
    },
    en: {
      title: "Village visit", online: "Online", offline: "Offline", loading: "Loading…",
      signin: "Sign in", name: "User name", password: "Password", signout: "Sign out",
      signin_needed: "Sign in while online first.", signin_failed: "Sign-in failed: ",
      refused_role: "This app is for bank loan officers (the bank role) only: your role may not download household data, and nothing was kept on this device.",
      my_villages: "Downloaded villages", none_downloaded: "No village downloaded yet. While online, choose villages and download their work lists.",
      choose: "Choose villages to download", download: "Download", downloaded: "Downloaded", redownload: "Download again",
      households_n: (n) => `${n} households`, progress: (done, total) => `${done} of ${total} households visited`,
      expires: "Deleted on", as_of: "Data as of", scorecard: "Scorecard",
      sync: "Sync", sync_n: (n) => `Sync (${n} waiting)`, nothing_to_sync: "No visit waiting to be synced.",
      resend: "Send synced visits again (check)", need_online: "Needs a network.",
      back: "Back", household: "Household", members: "Members", status: "Status",
      latest_file: "Latest rating by your bank", line_in_force: "Your bank's line in force", none: "none",
      rate: "Rate", visit_date: "Visit date", factor_points: (w) => `out of ${w}`,
      choose_level: "Choose", score: "Score", grade: "Grade", recommended: "Recommended line",
      agreed_line: "Agreed line (yuan, optional)", line_expires: "Line expires on", note: "Note",
      save: "Save (offline)", saved: "Kept on this device; it syncs when you are online.",
      pending: "Waiting", accepted: "Synced", refused: "Refused", not_visited: "Not visited",
      redo: "Rate again", result: "Sync result",
      sent: (n, ok, no, left) => `Sent ${n}: ${ok} synced, ${no} refused${left ? `; ${left} not sent (network lost)` : ""}.`,
      download_again: "This visit was refused. Download the village again while online, check the latest facts, then rate again.", replayed: " (sent again: recorded once)",
      synced_at: "Synced", sure_signout: "Some visits are not synced; signing out deletes them. Sign out?",
      problems: "Please correct:", missing: (f) => `${f}: not filled in`,
      not_level: (f, w) => `${f}: choose a level or give whole points from 0 to ${w}`,
      amount_bad: "The line must be a positive amount in yuan (at most two decimals)",
      amount_cap: (cap) => `The line may not exceed the grade's recommended line of ${cap}`,
      amount_max: (max) => `The line may not exceed the micro-credit cap of ${max}`,
      no_line_grade: (g) => `Grade ${g} has no line`,
      expires_bad: "The line must expire after the visit date", date_bad: "The visit date is invalid or after today",
      keep_days: (d) => `Downloaded data stays on this device for ${d} days and is deleted on sign-out.`,
      masked: "ID numbers masked",
      exempt: "Not rated because (choose only to exempt)", exempt_none: "Rated (none)", exempt_no_line: "An exempt household gets no line",
      exempt_reasons: { no_labour: "no labour capacity", no_need: "no need of a loan", age: "age", bad_credit: "bad credit", other: "other" },
      reason: {
        out_of_scope: "The village is not one of yours",
        not_registered: "The household is no longer in the registry",
        household_exited: "The household exited poverty after your download",
        household_changed: "The household changed after your download: download again",
        scorecard_changed: "The scorecard version changed: download again and rate",
        rated_since_download: "Someone rated the household after your download; nothing was overwritten",
        future_date: "The visit date is after today",
        invalid: "The server's checks refused it",
      },
      detail: {
        out_of_scope: (p) => `Village ${p.village} is not one of your villages: your bank is not responsible for it, or it is not assigned to you.`,
        not_registered: (p) => `Household ${p.household} is not in the registry on ${p.visit_date}.`,
        household_exited: (p) => `Household ${p.household} exited poverty (${p.exited_year}) after your download (registry of ${p.registry_from}).`,
        household_changed: (p) => p.village_now
          ? `Household ${p.household} now lives in village ${p.village_now}, not ${p.village}: download the village again.`
          : `Household ${p.household} changed in the registry on ${p.registry_from} after your download (version of ${p.downloaded_from}): download the village again.`,
        scorecard_changed: (p) => `The scorecard in force on ${p.visit_date} is ${p.scorecard_now}, not the downloaded ${p.scorecard_downloaded}: download the village again and rate with the scorecard in force.`,
        rated_since_download: (p) => `Household ${p.household} was rated by your bank on ${p.assessed_on} (grade ${p.grade}) after your download: download the village again and look before you rate.`,
        future_date: (p) => `The visit date ${p.visit_date} is after today ${p.today}.`,
        invalid: (p, words) => `The credit rules refused: ${fieldWords(p, "en") || words}.`,
      },
      fields: {
        amount: "line amount", expires_on: "line expiry", household_id: "household", institution_code: "institution",
        exempt_reason: "exemption reason", score: "score", grade: "grade", recommended_line: "recommended line", factors: "factors",
      },
    },
  };
  const ENUMS = {
    zh: {
      poor: "未脱贫", exited: "已脱贫", relapsed: "返贫",
      head: "户主", spouse: "配偶", child: "子女", parent: "父母", grandchild: "孙子女", other: "其他",
      male: "男", female: "女",
      normal: "普通劳动力", skilled: "技能劳动力", weak: "弱劳动力", none: "无劳动力",
      general: "一般贫困户", low_income: "低保户", five_guarantee: "五保户", low_income_poor: "低保贫困户",
      illness: "因病", disability: "因残", education: "因学", disaster: "因灾", lack_land: "缺土地",
      lack_water: "缺水", lack_skills: "缺技术", lack_labour: "缺劳力", lack_funds: "缺资金",
      transport: "交通条件落后", lack_motivation: "自身发展动力不足",
    },
    en: {
      poor: "poor", exited: "exited", relapsed: "relapsed",
      head: "head", spouse: "spouse", child: "child", parent: "parent", grandchild: "grandchild", other: "other",
      male: "male", female: "female",
      normal: "ordinary labour", skilled: "skilled labour", weak: "weak labour", none: "no labour",
      general: "general", low_income: "low income", five_guarantee: "five guarantees", low_income_poor: "low income, poor",
      illness: "illness", disability: "disability", education: "education", disaster: "disaster", lack_land: "lack of land",
      lack_water: "lack of water", lack_skills: "lack of skills", lack_labour: "lack of labour", lack_funds: "lack of funds",
      transport: "poor transport", lack_motivation: "lack of motivation",
    },
  };
  // Level names of the built-in scorecard; another scorecard's levels show as written.
  const LEVELS = {
    zh: {
      excellent: "优秀", good: "良好", fair: "一般", poor: "较差", skilled: "有技能",
      normal: "一般", weak: "较弱", none: "无", high: "较高", medium: "中等", low: "较低",
      strong: "前景好", viable: "可行",
    },
  };
  const t = (key) => T[lang][key];
  const colon = () => (lang === "zh" ? "：" : ": ");
  const levelName = (code) => (lang === "zh" && LEVELS.zh[code]) || code;
  const word = (code) => (code && ENUMS[lang][code]) || code || "";

  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  // ---------------------------------------------------------------------------------------------
  // money: integer fen, never floats

  /** Fen from a yuan text (`30000`, `30,000.5`); null when it is not an amount. */
  function fen(text) {
    const match = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(String(text == null ? "" : text).replace(/,/g, ""));
    if (!match) return null;
    return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
  }
  function yuanText(f) {
    const whole = String(Math.trunc(f / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    const cents = String(f % 100).padStart(2, "0");
    return lang === "zh" ? `${whole}.${cents} 元` : `¥${whole}.${cents}`;
  }
  const plainYuan = (f) => `${Math.trunc(f / 100)}.${String(f % 100).padStart(2, "0")}`;

  // ---------------------------------------------------------------------------------------------
  // dates (the device's calendar)

  function today() {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  }
  function validDate(text) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text || "")) return false;
    const d = new Date(`${text}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
  }
  function addYears(text, years) {
    const [y, m, d] = text.split("-").map(Number);
    const day = m === 2 && d === 29 ? 28 : d;
    return `${y + years}-${String(m).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
  }

  // ---------------------------------------------------------------------------------------------
  // the scorecard, exactly as crates/app/src/credit/scoring.rs

  /** Points of one factor's input: a level's name (any case) or whole points 0..weight. */
  function factorPoints(factor, value) {
    const text = String(value == null ? "" : value).trim();
    const level = factor.levels.find((l) => l.level.toLowerCase() === text.toLowerCase());
    if (level) return level.points;
    if (/^-?\d+$/.test(text)) {
      const points = Number(text);
      if (points >= 0 && points <= factor.weight) return points;
    }
    return null;
  }

  /** Score, grade and the recommended line (fen) of factor inputs, or the problems. */
  function score(card, lineMaxFen, inputs) {
    const problems = [];
    let total = 0;
    for (const factor of card.factors) {
      const value = inputs[factor.code];
      if (value == null || String(value).trim() === "") {
        problems.push(T[lang].missing(factor.name));
        continue;
      }
      const points = factorPoints(factor, value);
      if (points == null) problems.push(T[lang].not_level(factor.name, factor.weight));
      else total += points;
    }
    if (problems.length) return { problems };
    const bands = card.grades.filter((g) => g.min_score <= total);
    if (!bands.length) return { problems: [`${total}`] };
    const band = bands.reduce((a, b) => (b.min_score > a.min_score ? b : a));
    const lineFen = Math.min(fen(band.line), lineMaxFen);
    return { problems: [], score: total, grade: band.grade, lineFen };
  }

  /** Checks a whole visit as the server will: inputs, date, line. */
  function checkVisit(village, form) {
    if (form.exempt_reason) {
      const problems = [];
      if (!validDate(form.visit_date) || form.visit_date > today()) problems.push(t("date_bad"));
      if (String(form.amount || "").trim() !== "") problems.push(t("exempt_no_line"));
      return { problems, result: { score: null, grade: null, lineFen: 0 }, line: null };
    }
    const result = score(village.scorecard, fen(village.line_max), form.factors);
    const problems = [...result.problems];
    if (!validDate(form.visit_date) || form.visit_date > today()) problems.push(t("date_bad"));
    let line = null;
    if (String(form.amount || "").trim() !== "") {
      const amount = fen(form.amount);
      if (amount == null || amount <= 0) problems.push(t("amount_bad"));
      else if (amount > fen(village.line_max)) problems.push(T[lang].amount_max(yuanText(fen(village.line_max))));
      else if (!result.problems.length && result.lineFen === 0) problems.push(T[lang].no_line_grade(result.grade));
      else if (!result.problems.length && amount > result.lineFen) problems.push(T[lang].amount_cap(yuanText(result.lineFen)));
      if (!validDate(form.expires_on) || form.expires_on <= form.visit_date) problems.push(t("expires_bad"));
      if (amount != null) line = { amount: plainYuan(amount), expires_on: form.expires_on };
    }
    return { problems, result, line };
  }

  // ---------------------------------------------------------------------------------------------
  // IndexedDB

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const d = request.result;
        d.createObjectStore("meta", { keyPath: "key" });
        d.createObjectStore("villages", { keyPath: "code" });
        d.createObjectStore("households", { keyPath: "household_id" }).createIndex("village", "village_code");
        d.createObjectStore("visits", { keyPath: "visit_id" }).createIndex("household", "household_id");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  function tx(stores, mode, work) {
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(stores, mode);
      let answer;
      Promise.resolve(work(transaction)).then((value) => (answer = value));
      transaction.oncomplete = () => resolve(answer);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }
  const req = (request) => new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const all = (store, index, key) => tx([store], "readonly", (x) => {
    const s = x.objectStore(store);
    return req(index ? s.index(index).getAll(key) : s.getAll());
  });
  const get = (store, key) => tx([store], "readonly", (x) => req(x.objectStore(store).get(key)));
  const put = (store, value) => tx([store], "readwrite", (x) => req(x.objectStore(store).put(value)));
  const wipe = () => tx(STORES, "readwrite", (x) => Promise.all(STORES.map((s) => req(x.objectStore(s).clear()))));

  /** Deletes every village whose download expired, its households and its settled visits. */
  async function purgeExpired() {
    const now = Date.now();
    for (const village of await all("villages")) {
      if (Date.parse(village.expires_at) > now) continue;
      const households = await all("households", "village", village.code);
      const visits = await all("visits");
      await tx(["villages", "households", "visits"], "readwrite", (x) => {
        x.objectStore("villages").delete(village.code);
        households.forEach((h) => x.objectStore("households").delete(h.household_id));
        visits
          .filter((v) => v.village_code === village.code && v.state !== "pending")
          .forEach((v) => x.objectStore("visits").delete(v.visit_id));
      });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the server

  /** The message of an error answer (`{error: {code, message, field}}`). */
  const problem = (answer) => (answer.json && answer.json.error && answer.json.error.message) || String(answer.status);
  const problemCode = (answer) => answer.json && answer.json.error && answer.json.error.code;

  async function api(method, path, body, extraHeaders) {
    const headers = { Accept: "application/json", ...(extraHeaders || {}) };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && session && session.csrf_token) headers["X-CSRF-Token"] = session.csrf_token;
    const response = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
    return { status: response.status, json };
  }

  async function checkSession() {
    if (!navigator.onLine) return;
    try {
      const answer = await api("GET", "/api/session");
      session = answer.status === 200 ? answer.json : null;
    } catch (_) {
      session = null;
    }
  }

  /** After sign-in: another user's data never stays on the device. */
  async function adoptUser(user) {
    const owner = await get("meta", "owner");
    if (owner && owner.name !== user.name) await wipe();
    await put("meta", { key: "owner", name: user.name, display_name: user.display_name || user.name });
  }

  // ---------------------------------------------------------------------------------------------
  // views

  function render(html) {
    app.innerHTML = html;
    document.getElementById("net").textContent = navigator.onLine ? t("online") : t("offline");
    document.getElementById("net").className = navigator.onLine ? "net on" : "net off";
    document.getElementById("lang").textContent = lang === "zh" ? "EN" : "中文";
    document.getElementById("title").textContent = t("title");
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  }

  /** Nothing of the app stays for a role that may not use it: data, worker, kept files. */
  async function refusedRole(message) {
    await wipe();
    if ("serviceWorker" in navigator) {
      const registrations = await navigator.serviceWorker.getRegistrations();
      await Promise.all(registrations.map((registration) => registration.unregister()));
    }
    if ("caches" in window) {
      await Promise.all((await caches.keys()).map((key) => caches.delete(key)));
    }
    render(`<section class="card refused" id="refused"><p>${esc(t("refused_role"))}</p>
      <p class="muted">${esc(message || "")}</p>
      <button type="button" id="signout">${esc(t("signout"))}</button></section>`);
    document.getElementById("signout").onclick = signOut;
  }

  function signInView(problem) {
    render(`<form class="card" id="signin">
      <h1>${esc(t("signin"))}</h1>
      ${problem ? `<p class="error">${esc(problem)}</p>` : ""}
      <label>${esc(t("name"))}<input name="name" autocomplete="username" required></label>
      <label>${esc(t("password"))}<input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">${esc(t("signin"))}</button></form>`);
    document.getElementById("signin").onsubmit = async (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      const answer = await api("POST", "/api/session", { name: form.get("name"), password: form.get("password") });
      if (answer.status !== 200) {
        signInView(t("signin_failed") + problem(answer));
        return;
      }
      session = answer.json;
      if (session.user.role !== "bank") return refusedRole("");
      await adoptUser(session.user);
      location.hash = "#/";
      route();
    };
  }

  async function visitState(householdId) {
    const visits = await all("visits", "household", householdId);
    return visits.sort((a, b) => (a.saved_at < b.saved_at ? 1 : -1))[0] || null;
  }

  async function homeView() {
    const owner = await get("meta", "owner");
    if (!owner && !session) return signInView(navigator.onLine ? "" : t("signin_needed"));
    const villages = await all("villages");
    const visits = await all("visits");
    const pending = visits.filter((v) => v.state === "pending").length;
    let rows = "";
    for (const village of villages) {
      const households = await all("households", "village", village.code);
      const done = new Set(visits.filter((v) => v.village_code === village.code).map((v) => v.household_id));
      rows += `<li><a href="#/village/${esc(village.code)}" data-village="${esc(village.code)}">
        <strong>${esc(village.name)}</strong> <span class="muted">${esc(village.township_name || "")}</span></a>
        <div class="progress"><span data-done="${done.size}" data-total="${households.length}"></span></div>
        <div class="muted small">${esc(T[lang].progress(done.size, households.length))} · ${esc(t("expires"))} ${esc(village.expires_at.slice(0, 10))}</div></li>`;
    }
    render(`<section class="card">
      <p class="who">${esc(owner ? owner.display_name : "")}</p>
      <h1>${esc(t("my_villages"))}</h1>
      ${villages.length ? `<ul class="list">${rows}</ul>` : `<p class="muted">${esc(t("none_downloaded"))}</p>`}
      <div class="actions">
        <a class="button" href="#/choose" id="choose">${esc(t("choose"))}</a>
        <a class="button ${pending ? "" : "quiet"}" href="#/sync" id="sync">${esc(pending ? T[lang].sync_n(pending) : t("sync"))}</a>
      </div></section>
      <p class="muted small center"><button type="button" class="link" id="signout">${esc(t("signout"))}</button></p>`);
    widths();
    document.getElementById("signout").onclick = signOut;
  }

  /** Progress bars: widths set from script (the CSP allows no inline styles). */
  function widths() {
    app.querySelectorAll(".progress span").forEach((bar) => {
      const total = Number(bar.dataset.total) || 0;
      bar.style.width = total ? `${Math.round((100 * Number(bar.dataset.done)) / total)}%` : "0";
    });
  }

  async function chooseView() {
    if (!navigator.onLine) return render(`<section class="card"><p>${esc(t("need_online"))}</p><a href="#/">${esc(t("back"))}</a></section>`);
    if (!session) return signInView(t("signin_needed"));
    render(`<p class="muted">${esc(t("loading"))}</p>`);
    const answer = await api("GET", "/api/field/villages");
    if (answer.status === 403) return refusedRole(problem(answer));
    if (answer.status === 401) { session = null; return signInView(t("signin_needed")); }
    const have = new Set((await all("villages")).map((v) => v.code));
    const rows = answer.json.villages.map((v) => `<li><div><strong>${esc(v.name)}</strong>
        <span class="muted">${esc(v.township_name || "")} · ${esc(T[lang].households_n(v.households))}</span></div>
        <button type="button" data-download="${esc(v.code)}">${esc(have.has(v.code) ? t("redownload") : t("download"))}</button></li>`).join("");
    render(`<section class="card"><a href="#/">‹ ${esc(t("back"))}</a><h1>${esc(t("choose"))}</h1>
      <p class="muted small">${esc(T[lang].keep_days(answer.json.keep_days))}</p>
      <ul class="list">${rows}</ul></section>`);
    app.querySelectorAll("[data-download]").forEach((button) => {
      button.onclick = async () => {
        button.disabled = true;
        await download(button.dataset.download);
        button.textContent = t("downloaded");
      };
    });
  }

  async function download(code) {
    const answer = await api("GET", `/api/field/worklist?village=${encodeURIComponent(code)}`);
    if (answer.status === 403) return refusedRole(problem(answer));
    if (answer.status !== 200) throw new Error(`worklist ${answer.status}`);
    const list = answer.json;
    const old = await all("households", "village", code);
    await tx(["villages", "households"], "readwrite", (x) => {
      old.forEach((h) => x.objectStore("households").delete(h.household_id));
      x.objectStore("villages").put({
        code, name: list.village.name, township_name: list.village.township_name,
        as_of: list.as_of, expires_at: list.expires_at, scorecard: list.scorecard,
        scorecard_version: list.scorecard_version, line_max: list.line_max,
        institution_code: list.institution_code, downloaded_at: new Date().toISOString(),
      });
      list.households.forEach((h) => x.objectStore("households").put({ ...h, village_code: code }));
    });
  }

  function stateBadge(visit) {
    if (!visit) return `<span class="badge">${esc(t("not_visited"))}</span>`;
    return `<span class="badge ${visit.state}">${esc(t(visit.state))}</span>`;
  }

  async function villageView(code) {
    const village = await get("villages", code);
    if (!village) { location.hash = "#/"; return; }
    const households = (await all("households", "village", code)).sort((a, b) => (a.household_id < b.household_id ? -1 : 1));
    let done = 0;
    let rows = "";
    for (const h of households) {
      const visit = await visitState(h.household_id);
      if (visit) done += 1;
      const head = h.members[0] || {};
      const grade = visit && visit.grade ? ` · ${esc(visit.grade)}` : "";
      rows += `<li><a href="#/household/${esc(h.household_id)}" data-household="${esc(h.household_id)}">
        <strong>${esc(head.name || h.household_id)}</strong> <span class="muted">${esc(h.household_id)} · ${esc(word(h.status))}</span></a>
        <span>${stateBadge(visit)}${grade}</span></li>`;
    }
    render(`<section class="card"><a href="#/">‹ ${esc(t("back"))}</a>
      <h1>${esc(village.name)}</h1>
      <p class="muted small">${esc(village.township_name || "")} · ${esc(t("as_of"))} ${esc(village.as_of)} · ${esc(t("expires"))} ${esc(village.expires_at.slice(0, 10))}</p>
      <div class="progress big"><span data-done="${done}" data-total="${households.length}"></span></div>
      <p id="progress">${esc(T[lang].progress(done, households.length))}</p>
      <ul class="list">${rows}</ul></section>`);
    widths();
  }

  async function householdView(id) {
    const h = await get("households", id);
    if (!h) { location.hash = "#/"; return; }
    const village = await get("villages", h.village_code);
    const visit = await visitState(id);
    const members = h.members.map((m) => `<tr><td>${esc(m.name)}</td><td>${esc(word(m.relation))}</td>
      <td class="code">${esc(m.id_number)}</td><td>${esc(word(m.labour))}</td></tr>`).join("");
    const file = h.latest_file
      ? `${esc(h.latest_file.assessed_on)} · ${esc(h.latest_file.grade || T[lang].exempt_reasons[h.latest_file.exempt_reason] || h.latest_file.exempt_reason)} · ${esc(h.latest_file.score == null ? "" : h.latest_file.score)}`
      : esc(t("none"));
    const line = h.line ? `${esc(yuanText(fen(h.line.amount)))} · ${esc(h.line.granted_on)}–${esc(h.line.expires_on)}` : esc(t("none"));
    const head = h.members[0] || {};
    let body = `<section class="card"><a href="#/village/${esc(h.village_code)}">‹ ${esc(village ? village.name : t("back"))}</a>
      <h1>${esc(head.name || "")} <span class="muted">${esc(h.household_id)}</span></h1>
      <p>${esc(t("status"))}${colon()}${esc(word(h.status))} · ${esc(word(h.poverty_attribute))} · ${esc(word(h.main_cause))}</p>
      <p class="small">${esc(t("latest_file"))}${colon()}${file}<br>${esc(t("line_in_force"))}${colon()}${line}</p>
      <details><summary>${esc(t("members"))}${lang === "zh" ? `（${h.members.length}）` : ` (${h.members.length})`} <span class="muted small">${esc(t("masked"))}</span></summary>
      <table class="members">${members}</table></details></section>`;
    // Rated and not refused; or refused and not downloaded since (the same stale facts would be
    // refused again): the visit only.
    const stale = visit && visit.state === "refused" && !(village.downloaded_at > (visit.synced_at || ""));
    if (visit && (visit.state !== "refused" || stale)) {
      body += visitSummary(visit, village);
      render(body);
      return;
    }
    if (visit) body += visitSummary(visit, village);
    body += rateForm(village, h);
    render(body);
    wireRateForm(village, h);
  }

  /** The whole reason in the officer's language, worded from the server's parameters; a
   * request refused as a whole (no parameters) shows the server's English words. */
  function reasonDetail(visit) {
    const words = T[lang].detail[visit.reason_code];
    if (words && visit.reason_params) return words(visit.reason_params, visit.reason || "");
    return visit.reason || "";
  }

  /** Each field the credit rules refused, named in `language`, with the rules' words about it. */
  function fieldWords(p, language) {
    const fields = (p.fields || "").split(",").filter(Boolean);
    const words = (f) => (language === "zh" ? p[`${f}_zh`] : null) || p[f] || "";
    const colonOf = language === "zh" ? "：" : ": ";
    return fields.map((f) => `${T[language].fields[f] || f}${colonOf}${words(f)}`).join(language === "zh" ? "；" : "; ");
  }

  function visitSummary(visit, village) {
    const reason = visit.reason_code ? (T[lang].reason[visit.reason_code] || visit.reason_code) : "";
    const again = visit.state === "refused" && !(village && village.downloaded_at > (visit.synced_at || ""))
      ? `<p class="notice" id="download-again">${esc(t("download_again"))}</p>` : "";
    return `<section class="card result ${visit.state}" id="visit-result">
      <h2>${stateBadge(visit)} ${esc(visit.visit_date)}</h2>
      ${visit.exempt_reason
        ? `<p>${esc(T[lang].exempt_reasons[visit.exempt_reason] || visit.exempt_reason)}</p>`
        : `<p>${esc(t("score"))} ${esc(visit.score)} · ${esc(t("grade"))} ${esc(visit.grade)} · ${esc(t("recommended"))} ${esc(yuanText(visit.line_fen))}</p>`}
      ${visit.line ? `<p>${esc(t("agreed_line"))}${colon()}${esc(yuanText(fen(visit.line.amount)))} → ${esc(visit.line.expires_on)}</p>` : ""}
      ${visit.note ? `<p>${esc(t("note"))}${colon()}${esc(visit.note)}</p>` : ""}
      ${reason ? `<p class="error reason"><strong>${esc(reason)}</strong><br><span class="small">${esc(reasonDetail(visit))}</span></p>` : ""}
      ${again}
      ${visit.replayed ? `<p class="muted small">${esc(t("replayed"))}</p>` : ""}</section>`;
  }

  function rateForm(village, h) {
    const card = village.scorecard;
    const factors = card.factors.map((f) => {
      const options = f.levels.map((l) => `<option value="${esc(l.level)}">${esc(levelName(l.level))}${lang === "zh" ? `（${l.points}）` : ` (${l.points})`}</option>`).join("");
      const input = f.levels.length
        ? `<select name="f_${esc(f.code)}" data-factor="${esc(f.code)}"><option value="">${esc(t("choose_level"))}</option>${options}</select>`
        : `<input name="f_${esc(f.code)}" data-factor="${esc(f.code)}" inputmode="numeric">`;
      return `<label>${esc(f.name)} <span class="muted small">${esc(T[lang].factor_points(f.weight))}</span>${input}</label>`;
    }).join("");
    const date = today();
    return `<form class="card" id="rate"><h2>${esc(t("rate"))} <span class="muted small">${esc(t("scorecard"))} ${esc(card.effective_from)}</span></h2>
      <label>${esc(t("visit_date"))}<input name="visit_date" type="date" value="${date}" max="${date}"></label>
      ${factors}
      <label>${esc(t("exempt"))}<select name="exempt_reason"><option value="">${esc(t("exempt_none"))}</option>
        ${Object.entries(T[lang].exempt_reasons).map(([code, words]) => `<option value="${code}">${esc(words)}</option>`).join("")}</select></label>
      <p class="scoreline" id="scoreline">${esc(t("score"))} — · ${esc(t("grade"))} — · ${esc(t("recommended"))} —</p>
      <label>${esc(t("agreed_line"))}<input name="amount" inputmode="decimal" autocomplete="off"></label>
      <label>${esc(t("line_expires"))}<input name="expires_on" type="date" value="${addYears(date, 3)}"></label>
      <label>${esc(t("note"))}<textarea name="note" rows="2" maxlength="2000"></textarea></label>
      <div id="problems"></div>
      <button type="submit">${esc(t("save"))}</button></form>`;
  }

  function readForm(form, village) {
    const factors = {};
    village.scorecard.factors.forEach((f) => { factors[f.code] = form.elements[`f_${f.code}`].value; });
    return {
      factors, exempt_reason: form.elements.exempt_reason.value,
      visit_date: form.elements.visit_date.value, amount: form.elements.amount.value.trim(),
      expires_on: form.elements.expires_on.value, note: form.elements.note.value.trim(),
    };
  }

  function wireRateForm(village, h) {
    const form = document.getElementById("rate");
    const show = () => {
      const result = score(village.scorecard, fen(village.line_max), readForm(form, village).factors);
      document.getElementById("scoreline").textContent = result.problems.length
        ? `${t("score")} — · ${t("grade")} — · ${t("recommended")} —`
        : `${t("score")} ${result.score} · ${t("grade")} ${result.grade} · ${t("recommended")} ${yuanText(result.lineFen)}`;
    };
    form.oninput = show;
    form.onsubmit = async (event) => {
      event.preventDefault();
      const values = readForm(form, village);
      const checked = checkVisit(village, values);
      if (checked.problems.length) {
        document.getElementById("problems").innerHTML = `<div class="error" id="form-problems">${esc(t("problems"))}<ul>${checked.problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul></div>`;
        return;
      }
      const visitId = crypto.randomUUID();
      const payload = {
        visit_id: visitId, household_id: h.household_id, village_code: h.village_code,
        visit_date: values.visit_date, scorecard_version: village.scorecard_version,
        household_from: h.version_from, household_status: h.status, known_file: h.known_file,
        factors: values.exempt_reason ? {} : values.factors, exempt_reason: values.exempt_reason || null,
        line: checked.line, note: values.note || null,
      };
      await put("visits", {
        visit_id: visitId, household_id: h.household_id, village_code: h.village_code,
        visit_date: values.visit_date, score: checked.result.score, grade: checked.result.grade,
        line_fen: checked.result.lineFen, line: checked.line, note: values.note,
        exempt_reason: values.exempt_reason || null,
        state: "pending", saved_at: new Date().toISOString(),
        // The exact bytes sent each time: a resend is the same request, answered once.
        body: JSON.stringify(payload),
      });
      householdView(h.household_id);
    };
  }

  async function syncView(message) {
    const visits = await all("visits");
    const households = new Map((await all("households")).map((h) => [h.household_id, h]));
    const pending = visits.filter((v) => v.state === "pending");
    const rows = visits.sort((a, b) => (a.saved_at < b.saved_at ? -1 : 1)).map((v) => {
      const h = households.get(v.household_id);
      const name = h && h.members[0] ? h.members[0].name : "";
      const reason = v.reason_code ? `<div class="error small reason">${esc(T[lang].reason[v.reason_code] || v.reason_code)}${reasonDetail(v) ? `${lang === "zh" ? "：" : ": "}${esc(reasonDetail(v))}` : ""}</div>` : "";
      return `<li data-visit="${esc(v.household_id)}"><div><strong>${esc(name)}</strong> <span class="muted">${esc(v.household_id)}</span>
        ${stateBadge(v)} <span class="small">${esc(v.grade || "")}${v.line ? ` · ${esc(yuanText(fen(v.line.amount)))}` : ""}</span>${reason}</div></li>`;
    }).join("");
    render(`<section class="card"><a href="#/">‹ ${esc(t("back"))}</a><h1>${esc(t("sync"))}</h1>
      ${message ? `<p class="notice" id="sync-message">${esc(message)}</p>` : ""}
      <ul class="list" id="visits">${rows}</ul>
      <div class="actions">
        <button type="button" id="send" ${pending.length ? "" : "disabled"}>${esc(pending.length ? T[lang].sync_n(pending.length) : t("nothing_to_sync"))}</button>
        <button type="button" class="quiet" id="resend">${esc(t("resend"))}</button>
      </div></section>`);
    document.getElementById("send").onclick = () => send((v) => v.state === "pending");
    document.getElementById("resend").onclick = () => send((v) => v.state === "accepted");
  }

  /** Sends the chosen visits one by one, each with its id as the Idempotency-Key. */
  async function send(which) {
    if (!navigator.onLine) return syncView(t("need_online"));
    await checkSession();
    if (!session) return signInView(t("signin_needed"));
    const visits = (await all("visits")).filter(which);
    let sent = 0;
    const counts = { accepted: 0, refused: 0 };
    for (const visit of visits) {
      let answer;
      try {
        answer = await api("POST", "/api/field/visits", visit.body, { "Idempotency-Key": visit.visit_id });
      } catch (_) {
        break; // the network went: the rest stay waiting
      }
      if (answer.status === 403 && problemCode(answer) !== "csrf") return refusedRole(problem(answer));
      if (answer.status === 401) {
        session = null;
        return signInView(t("signin_needed"));
      }
      if (answer.status === 409 || answer.status >= 500 || !answer.json) {
        continue; // busy or failing: it stays waiting and goes with the next sync
      }
      if (answer.status !== 200) {
        // The request itself was refused (a malformed visit): nothing was written.
        if (visit.state !== "accepted") visit.state = "refused";
        visit.reason_code = "invalid";
        visit.reason = problem(answer);
        visit.reason_params = null;
      } else {
        const result = answer.json;
        visit.state = result.status;
        visit.replayed = Boolean(result.replayed);
        visit.reason_code = result.reason_code || null;
        visit.reason = result.reason || null;
        visit.reason_params = result.reason_params || null;
        if (result.grade) visit.grade = result.grade;
        if (result.score != null) visit.score = result.score;
      }
      visit.synced_at = new Date().toISOString();
      await put("visits", visit);
      sent += 1;
      if (visit.state in counts) counts[visit.state] += 1;
    }
    syncView(T[lang].sent(sent, counts.accepted, counts.refused, visits.length - sent));
  }

  async function signOut() {
    const pending = (await all("visits")).filter((v) => v.state === "pending").length;
    if (pending && !window.confirm(t("sure_signout"))) return;
    if (navigator.onLine && session) {
      try { await api("DELETE", "/api/session"); } catch (_) { /* offline: the data goes anyway */ }
    }
    session = null;
    await wipe();
    location.hash = "#/";
    signInView("");
  }

  async function route() {
    await purgeExpired();
    const hash = location.hash || "#/";
    const [, view, arg] = hash.split("/");
    if (view === "choose") return chooseView();
    if (view === "village") return villageView(decodeURIComponent(arg || ""));
    if (view === "household") return householdView(decodeURIComponent(arg || ""));
    if (view === "sync") return syncView();
    return homeView();
  }

  async function start() {
    db = await openDb();
    const kept = await get("meta", "lang");
    lang = kept ? kept.value : "zh";
    document.getElementById("lang").onclick = async () => {
      lang = lang === "zh" ? "en" : "zh";
      await put("meta", { key: "lang", value: lang });
      route();
    };
    window.addEventListener("hashchange", route);
    window.addEventListener("online", async () => { await checkSession(); route(); });
    window.addEventListener("offline", route);
    await checkSession();
    if (session) {
      if (session.user.role !== "bank") return refusedRole("");
      await adoptUser(session.user);
    }
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" }).catch(() => {});
    }
    route();
  }

  // For the browser test and the curious: the scorecard check, as the page runs it.
  window.fupinField = { score, fen };
  start();
})();
