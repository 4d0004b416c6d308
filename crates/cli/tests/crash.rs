//! Crash safety: the `fupin` binary is killed with SIGKILL at random moments (deterministic
//! seed) while it imports a registry extract, loans and repayments, runs end of day over many
//! days, and serves a burst of API writes — then restarted, on both engines.
//!
//! After every kill: the ledger check, the running totals' check and the audit chain are
//! clean; an import is in the
//! database wholly or not at all; end of day has completed whole days only and never goes
//! back. At the end the database equals, row for row, one built by the same steps without any
//! kill (so no repayment was posted twice or lost and no day was charged twice), loading the
//! repayments file again changes nothing, and every API write acknowledged before a crash is
//! there exactly once.
//!
//! The CI run is short; `scripts/crash-test --kills 100` is the full one. Settings (env):
//! `FUPIN_CRASH_KILLS` kills per engine (default 5), `FUPIN_CRASH_MEMBERS` member rows of the
//! households file (default 2,000), `FUPIN_CRASH_LOANS` (default 40), `FUPIN_CRASH_EOD_THROUGH`
//! (default 2017-06-30), `FUPIN_CRASH_API_WRITES` (default 30), `FUPIN_CRASH_SEED`,
//! `FUPIN_CRASH_BIN` (a `fupin` binary to kill, e.g. a release build; default this build's).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fupin_app::{Actor, Ctx, Db, Role};
use sqlx::Row;

// ---- settings and randomness -------------------------------------------------------------------

struct Settings {
    kills: usize,
    members: usize,
    loans: usize,
    eod_through: String,
    api_writes: usize,
    seed: u64,
    binary: PathBuf,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn settings() -> Settings {
    Settings {
        kills: env_or("FUPIN_CRASH_KILLS", 5),
        members: env_or("FUPIN_CRASH_MEMBERS", 2_000),
        loans: env_or("FUPIN_CRASH_LOANS", 40),
        eod_through: env_or("FUPIN_CRASH_EOD_THROUGH", "2017-06-30".to_string()),
        api_writes: env_or("FUPIN_CRASH_API_WRITES", 30),
        seed: env_or("FUPIN_CRASH_SEED", 20_171_231),
        binary: std::env::var("FUPIN_CRASH_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(env!("CARGO_BIN_EXE_fupin"))),
    }
}

/// xorshift64*: small, deterministic, good enough to place kills.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [low, high).
    fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

// ---- the files ---------------------------------------------------------------------------------

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

fn resident_id(birth: &str, sequence: usize) -> String {
    let body = format!("361128{birth}{:03}", sequence % 1000);
    let check = fupin_core::resident_id::check_character(&body).expect("17 digits");
    format!("{body}{check}")
}

/// Five townships of ten villages; households of four (head, spouse, two children); loans to
/// the first households; two repayments of 100 yuan per loan.
fn write_files(settings: &Settings) -> Files {
    let dir = tempfile::tempdir().expect("dir");
    let write =
        |name: &str, text: String| std::fs::write(dir.path().join(name), text).expect("write");
    let mut regions = String::from("code,name\n");
    for township in 1..=5 {
        regions.push_str(&format!("361128{:03},乡镇{township}\n", 100 + township));
        for village in 1..=10 {
            regions.push_str(&format!(
                "361128{:03}{village:03},村{township}-{village}\n",
                100 + township
            ));
        }
    }
    write("regions.csv", regions);
    write(
        "institutions.csv",
        "code,name,type,region_code\nPYRCB,鄱阳农商银行,rural_cooperative,361128\n".into(),
    );
    write("products.csv", "code,name,category,borrower_type,max_amount,max_term_months,annual_rate,repayment,institution_code\nMC,扶贫小额信贷,poverty_microcredit,household,50000,36,4.75,equal_instalment,PYRCB\n".into());
    let mut households = String::from(
        "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour\n",
    );
    let head_born = fupin_core::BusinessDate::from_ymd(1960, 1, 1).expect("date");
    let child_born = fupin_core::BusinessDate::from_ymd(1995, 1, 1).expect("date");
    let mut member = 0usize;
    for household in 1..=settings.members.div_ceil(4) {
        let village = format!(
            "361128{:03}{:03}",
            100 + household % 5 + 1,
            household % 10 + 1
        );
        for relation in ["head", "spouse", "child", "child"] {
            member += 1;
            let base = if matches!(relation, "head" | "spouse") {
                head_born
            } else {
                child_born
            };
            let born = base
                .add_days((member / 1000) as i64)
                .expect("date")
                .to_string()
                .replace('-', "");
            households.push_str(&format!(
                "H{household},{village},成员{member},{},{relation},general,illness,poor,2015-10-01,2300,normal\n",
                resident_id(&born, member)
            ));
        }
    }
    write("households.csv", households);
    let mut loans = String::from(
        "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,purpose\n",
    );
    let mut repayments = String::from("id,contract_no,institution_code,paid_on,amount\n");
    for loan in 1..=settings.loans {
        loans.push_str(&format!(
            "C{loan},PYRCB,MC,household,H{loan},{},4.75,2017-03-15,2020-03-15,养殖\n",
            10_000 + (loan % 5) * 10_000
        ));
        repayments.push_str(&format!(
            "R{loan}a,C{loan},PYRCB,2017-04-15,100\nR{loan}b,C{loan},PYRCB,2017-05-15,100\n"
        ));
    }
    write("loans.csv", loans);
    write("repayments.csv", repayments);
    Files { dir }
}

// ---- running and killing -----------------------------------------------------------------------

fn command(settings: &Settings, url: &str, args: &[String]) -> Command {
    let mut command = Command::new(&settings.binary);
    command
        .args(["--db", url])
        .args(args)
        .env_remove("FUPIN_DATABASE_URL")
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn run_to_end(settings: &Settings, url: &str, args: &[String]) -> String {
    let output = command(settings, url, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run fupin");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "fupin {args:?}: {text}");
    text
}

/// Starts a command and SIGKILLs it after `delay`, unless it ends first. True when killed.
fn run_and_kill(settings: &Settings, url: &str, args: &[String], delay: Duration) -> bool {
    let mut child = command(settings, url, args).spawn().expect("spawn fupin");
    kill_after(&mut child, delay)
}

fn kill_after(child: &mut Child, delay: Duration) -> bool {
    let deadline = Instant::now() + delay;
    while Instant::now() < deadline {
        if child.try_wait().expect("wait").is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    true
}

fn args(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

// ---- checks ------------------------------------------------------------------------------------

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .try_get::<i64, _>(0)
        .expect("count")
}

/// The ledger, the running totals and the audit chain are sound (after a kill, the database is
/// reopened the way the next command would open it).
async fn assert_sound(url: &str, when: &str) -> Db {
    // The totals are checked before `Db::open`, which would build them if they were missing.
    let raw = Db::connect(url)
        .await
        .unwrap_or_else(|e| panic!("{when}: reconnect: {e}"));
    raw.migrate().await.expect("migrate");
    let totals = fupin_app::totals::check(&raw).await.expect("totals check");
    assert!(totals.is_clean(), "{when}: registry totals: {totals:?}");
    raw.close().await;
    let db = Db::open(url)
        .await
        .unwrap_or_else(|e| panic!("{when}: reopen: {e}"));
    let ledger = fupin_app::ledger::check(&db).await.expect("ledger check");
    assert!(ledger.is_clean(), "{when}: ledger: {ledger:?}");
    let audit = fupin_app::audit::verify(&db).await.expect("audit verify");
    assert!(
        audit.problems.is_empty(),
        "{when}: audit: {:?}",
        audit.problems
    );
    db
}

/// Everything the steps produce, row for row, in a stable order.
async fn fingerprint(db: &Db) -> Vec<String> {
    let mut lines = Vec::new();
    for table in [
        "households",
        "household_versions",
        "members",
        "loans",
        "loan_instalments",
        "repayments",
        "ledger_transfers",
        "ledger_accounts",
        "institutions",
        "registry_totals",
    ] {
        lines.push(format!(
            "{table}: {}",
            count(db, &format!("select count(*) from {table}")).await
        ));
    }
    let queries = [
        "select code || ' ' || cast(debits_posted_fen as text) || ' ' || cast(credits_posted_fen as text) from ledger_accounts order by code",
        "select contract_no || ' ' || status || ' ' || cast(overdue_days as text) || ' ' || classification || ' ' || coalesce(next_unpaid_due_on, '-') from loans order by contract_no",
        "select coalesce(last_date, '-') from eod_state",
        "select code || ' ' || name from institutions order by code",
        "select village_code || ' ' || day || ' ' || cast(poor_people as text) || ' ' || cast(registered as text) || ' ' || cast(eligible as text) from registry_totals order by village_code, day",
    ];
    for sql in queries {
        for row in sqlx::query(sql)
            .fetch_all(db.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
        {
            lines.push(row.try_get::<String, _>(0).expect("text"));
        }
    }
    lines
}

// ---- the scenario ------------------------------------------------------------------------------

/// How a step is checked after a kill.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// An import: the table holds none or all of the file's rows.
    Import { table: &'static str, rows: i64 },
    /// End of day: whole days only, never backwards.
    Eod,
}

struct Run<'a> {
    settings: &'a Settings,
    url: String,
    /// Kills per step (none for the reference run) and the reference durations.
    kills: Option<(&'a mut Rng, usize, &'a BTreeMap<String, Duration>)>,
    durations: BTreeMap<String, Duration>,
    killed: usize,
    log: Vec<String>,
}

impl Run<'_> {
    async fn step(&mut self, name: &str, command_args: Vec<String>, step: Step) {
        let mut last_eod: Option<String> = None;
        if let Some((rng, kills, reference)) = self.kills.as_mut() {
            let full = reference
                .get(name)
                .copied()
                .unwrap_or(Duration::from_secs(2));
            for attempt in 0..*kills {
                // End of day keeps what it did: aim within what is left of it.
                let left = match step {
                    Step::Eod => {
                        let db = Db::open(&self.url).await.expect("open");
                        let done = fupin_store::loans::eod_last_date(&db)
                            .await
                            .expect("eod state");
                        db.close().await;
                        eod_fraction_left(
                            done.map(|d| d.to_string()).as_deref(),
                            &self.settings.eod_through,
                        )
                    }
                    Step::Import { .. } => 1.0,
                };
                let delay = full
                    .mul_f64(left * rng.between(0.03, 0.8))
                    .max(Duration::from_millis(20));
                if !run_and_kill(self.settings, &self.url, &command_args, delay) {
                    self.log
                        .push(format!("{name}: finished before the kill at {delay:?}"));
                    break;
                }
                self.killed += 1;
                let when = format!(
                    "after kill {} ({name} attempt {attempt}, at {delay:?})",
                    self.killed
                );
                let db = assert_sound(&self.url, &when).await;
                match step {
                    Step::Import { table, rows } => {
                        let found = count(&db, &format!("select count(*) from {table}")).await;
                        assert!(
                            found == 0 || found == rows,
                            "{when}: {table} holds {found} of {rows} rows"
                        );
                        self.log.push(format!(
                            "{name}: killed at {delay:?}, {table} {found}/{rows}"
                        ));
                    }
                    Step::Eod => {
                        let done = fupin_store::loans::eod_last_date(&db)
                            .await
                            .expect("eod")
                            .map(|d| d.to_string());
                        assert!(
                            done >= last_eod,
                            "{when}: end of day went back from {last_eod:?} to {done:?}"
                        );
                        self.log.push(format!(
                            "{name}: killed at {delay:?}, days done through {}",
                            done.as_deref().unwrap_or("-")
                        ));
                        last_eod = done;
                    }
                }
                db.close().await;
            }
        }
        if let (Step::Eod, Some(_)) = (step, &last_eod) {
            // An attempt may have finished on its own after the last kill.
            let db = Db::open(&self.url).await.expect("open");
            last_eod = fupin_store::loans::eod_last_date(&db)
                .await
                .expect("eod state")
                .map(|d| d.to_string());
            db.close().await;
        }
        let started = Instant::now();
        let output = run_to_end(self.settings, &self.url, &command_args);
        self.durations.insert(name.to_string(), started.elapsed());
        if let (Step::Eod, Some(done)) = (step, &last_eod) {
            // The resumed run starts the day after the last completed one.
            let next = fupin_core::BusinessDate::parse(done)
                .expect("date")
                .add_days(1)
                .expect("date")
                .to_string();
            assert!(
                output.contains(&format!("done for {next}")) || *done == self.settings.eod_through,
                "resumed from {next}: {output}"
            );
        }
        assert_sound(&self.url, &format!("after {name}"))
            .await
            .close()
            .await;
    }

    async fn scenario(&mut self, files: &Files) {
        for kind in ["regions", "institutions", "products"] {
            run_to_end(
                self.settings,
                &self.url,
                &args(&format!(
                    "import {kind} {}",
                    files.path(&format!("{kind}.csv"))
                )),
            );
        }
        let members = self.settings.members.div_ceil(4) * 4;
        self.step(
            "households",
            args(&format!(
                "import households {} --as-of 2016-12-31",
                files.path("households.csv")
            )),
            Step::Import {
                table: "members",
                rows: members as i64,
            },
        )
        .await;
        self.step(
            "loans",
            args(&format!("import loans {}", files.path("loans.csv"))),
            Step::Import {
                table: "loans",
                rows: self.settings.loans as i64,
            },
        )
        .await;
        let repayments = args(&format!(
            "import repayments {}",
            files.path("repayments.csv")
        ));
        self.step(
            "repayments",
            repayments.clone(),
            Step::Import {
                table: "repayments",
                rows: 2 * self.settings.loans as i64,
            },
        )
        .await;
        // The same file again changes nothing: each repayment is posted once.
        let db = Db::open(&self.url).await.expect("open");
        let before = fingerprint(&db).await;
        db.close().await;
        let again = run_to_end(self.settings, &self.url, &repayments);
        assert!(again.contains("added 0"), "{again}");
        let db = Db::open(&self.url).await.expect("open");
        assert_eq!(
            fingerprint(&db).await,
            before,
            "loading the repayments again changed something"
        );
        db.close().await;
        self.step(
            "eod",
            args(&format!(
                "eod --through {} --from 2017-03-15",
                self.settings.eod_through
            )),
            Step::Eod,
        )
        .await;
    }
}

fn eod_fraction_left(done: Option<&str>, through: &str) -> f64 {
    let start = fupin_core::BusinessDate::parse("2017-03-14").expect("date");
    let end = fupin_core::BusinessDate::parse(through).expect("date");
    let done = done.map_or(start, |d| fupin_core::BusinessDate::parse(d).expect("date"));
    let total = start.days_until(end).max(1) as f64;
    (done.days_until(end) as f64 / total).clamp(0.05, 1.0)
}

// ---- the API burst -----------------------------------------------------------------------------

struct Server {
    child: Child,
    base: String,
}

fn start_server(settings: &Settings, url: &str) -> Server {
    let mut child = command(
        settings,
        url,
        &args("serve --listen 127.0.0.1:0 --request-timeout 2"),
    )
    .stdout(Stdio::piped())
    .spawn()
    .expect("spawn fupin serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the address");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_string();
    Server { child, base }
}

/// The answer to write `i`, or `None` when the connection failed (the server is gone).
async fn api_write(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    i: usize,
) -> Option<(u16, bool, String)> {
    let body = serde_json::json!({"code": format!("W{i}"), "name": format!("写入{i}"), "type": "other", "region_code": "361128"});
    let response = client
        .post(format!("{base}/api/institutions"))
        .bearer_auth(token)
        .header("idempotency-key", format!("burst-{i}"))
        .json(&body)
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    Some((status, replayed, response.text().await.unwrap_or_default()))
}

async fn api_burst(
    settings: &Settings,
    url: &str,
    rng: Option<&mut Rng>,
    kills: usize,
) -> (usize, Vec<String>) {
    let db = Db::open(url).await.expect("open");
    let operator = Ctx {
        actor: Actor::operator("crash-test"),
        now: "2017-07-01T09:00:00.000Z".into(),
        request_id: None,
    };
    fupin_app::users::add(
        &db,
        &operator,
        fupin_app::users::NewUser {
            name: "burst".into(),
            display_name: None,
            role: Role::Regulator,
            region: fupin_core::RegionCode::parse("3611").expect("code"),
            institution: None,
            password: "correct horse battery".into(),
        },
    )
    .await
    .expect("user");
    let token = fupin_app::users::new_token(&db, &operator, "burst")
        .await
        .expect("token")
        .token;
    db.close().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let mut acknowledged = BTreeMap::new();
    let mut killed = 0;
    let mut log = Vec::new();
    let mut next = 0;
    let mut rng = rng;
    let mut average_write = Duration::from_millis(20);
    while next < settings.api_writes {
        let mut server = start_server(settings, url);
        // Spread the kills over the writes left: this server completes a random number of
        // writes (fewer than the writes left per kill left), then dies during the next one.
        let killing = rng.is_some() && killed < kills;
        let quota = match (&mut rng, killing) {
            (Some(rng), true) => {
                let writes_per_kill = (settings.api_writes - next).div_ceil(kills - killed).max(1);
                (rng.between(0.0, writes_per_kill as f64) as usize).min(writes_per_kill - 1)
            }
            _ => usize::MAX,
        };
        let mut completed_here = 0;
        while next < settings.api_writes {
            let started = Instant::now();
            let write = api_write(&client, &server.base, &token, next);
            let answer = match (&mut rng, completed_here >= quota) {
                (Some(rng), true) => {
                    let wait = average_write.mul_f64(rng.between(0.0, 1.5));
                    tokio::select! {
                        answer = write => answer,
                        () = tokio::time::sleep(wait) => None,
                    }
                }
                _ => write.await,
            };
            match answer {
                Some((status, _, text))
                    if status == 409 && text.contains("still being processed") =>
                {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Some((status, _, text)) => {
                    assert!(
                        status == 201 || status == 409,
                        "write {next}: {status} {text}"
                    );
                    acknowledged.insert(next, status);
                    next += 1;
                    completed_here += 1;
                    average_write = (average_write * 3 + started.elapsed()) / 4;
                    if killing && completed_here > quota {
                        break;
                    }
                }
                None => break,
            }
        }
        server.child.kill().expect("SIGKILL");
        server.child.wait().expect("reap");
        if killing {
            killed += 1;
            log.push(format!("api: killed after {next} acknowledged writes"));
            assert_sound(url, &format!("after API kill {killed}"))
                .await
                .close()
                .await;
        }
    }
    assert!(
        killed >= kills || rng.is_none(),
        "the writes ran out before the kills: {killed} of {kills}; raise FUPIN_CRASH_API_WRITES"
    );
    // Every write again, with its key: the acknowledged ones replay, none is done twice.
    let mut server = start_server(settings, url);
    for i in 0..settings.api_writes {
        let (status, replayed, text) = loop {
            match api_write(&client, &server.base, &token, i)
                .await
                .expect("server up")
            {
                (409, _, text) if text.contains("still being processed") => {
                    tokio::time::sleep(Duration::from_millis(500)).await
                }
                answer => break answer,
            }
        };
        assert!(
            status == 201 || status == 409,
            "replay {i}: {status} {text}"
        );
        if acknowledged.get(&i) == Some(&201) {
            assert!(
                status == 201 && replayed,
                "write {i} was acknowledged: its retry must replay it ({status} {text})"
            );
        }
    }
    server.child.kill().expect("stop");
    server.child.wait().expect("reap");
    let db = assert_sound(url, "after the API burst").await;
    let written = count(
        &db,
        "select count(*) from institutions where code like 'W%'",
    )
    .await;
    assert_eq!(
        written as usize, settings.api_writes,
        "every write is there once"
    );
    let audited = count(
        &db,
        "select count(*) from audit_log where action = 'institution.add'",
    )
    .await;
    assert_eq!(audited as usize, settings.api_writes, "and was done once");
    db.close().await;
    (killed, log)
}

// ---- the test ----------------------------------------------------------------------------------

fupin_store::on_both_engines! {
    async fn killed_at_random_it_loses_nothing_and_does_nothing_twice(db) {
        let settings = settings();
        let files = write_files(&settings);
        let crash_url = db.url().to_string();
        db.close().await;
        let engine = fupin_store::Engine::of_url(&crash_url).expect("engine");
        // The reference: the same steps, never killed, on a database of its own.
        let reference_db = fupin_store::testing::TestDb::on(engine).await;
        let reference_url = reference_db.url.clone();
        reference_db.db.close().await;
        run_to_end(&settings, &reference_url, &args("init"));
        let mut reference = Run { settings: &settings, url: reference_url.clone(), kills: None, durations: BTreeMap::new(), killed: 0, log: Vec::new() };
        let started = Instant::now();
        reference.scenario(&files).await;
        let durations = reference.durations.clone();
        let (_, _) = api_burst(&settings, &reference_url, None, 0).await;
        let reference_db_open = Db::open(&reference_url).await.expect("open");
        let expected = fingerprint(&reference_db_open).await;
        reference_db_open.close().await;
        println!("reference run: {:?} ({:?})", started.elapsed(), durations);

        // The same steps, killed at random.
        let mut rng = Rng(settings.seed ^ (engine as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        run_to_end(&settings, &crash_url, &args("init"));
        // Four steps and the API burst share the kills; kills a step misses (it finished
        // first) go to the burst, which can absorb any number.
        let per_step = settings.kills / 5;
        let started = Instant::now();
        let mut run = Run { settings: &settings, url: crash_url.clone(), kills: Some((&mut rng, per_step, &durations)), durations: BTreeMap::new(), killed: 0, log: Vec::new() };
        run.scenario(&files).await;
        let (killed, log) = (run.killed, run.log);
        let api_kills = settings.kills.saturating_sub(killed).max(1);
        let (api_killed, api_log) = api_burst(&settings, &crash_url, Some(&mut rng), api_kills).await;
        for line in log.iter().chain(&api_log) {
            println!("{line}");
        }
        let db = Db::open(&crash_url).await.expect("open");
        let found = fingerprint(&db).await;
        db.close().await;
        let differences: Vec<String> = expected.iter().zip(&found).filter(|(a, b)| a != b).map(|(a, b)| format!("expected {a} found {b}")).take(10).collect();
        assert!(expected.len() == found.len() && differences.is_empty(), "the killed run differs from the reference: {differences:?}");
        let total = killed + api_killed;
        println!("{}: {total} kills ({killed} in imports and end of day, {api_killed} in the API burst), {} rows compared, {:?}", engine.as_str(), found.len(), started.elapsed());
        assert!(total >= settings.kills, "only {total} kills of {}", settings.kills);
    }
}
