//! The ledger's invariants under random sequences of transfers, retries, reused ids, back-dated
//! value dates and overdraft attempts — checked against a model kept by the test, on both
//! engines.

use std::collections::HashMap;

use fupin_core::{BusinessDate, Fen, RegionCode};
use fupin_store::Db;
use fupin_store::ledger::{self, NewAccount, NewTransfer, NormalSide, Posted, TransferRefused};

/// A small deterministic generator (xorshift), so a failing seed can be replayed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

fn date(day: u64) -> BusinessDate {
    BusinessDate::from_ymd(2017, 1, 1)
        .and_then(|d| d.add_days(day as i64))
        .expect("date in 2017")
}

async fn open_accounts(db: &Db) -> Vec<(i64, NormalSide, bool)> {
    let specs = [
        (
            "bank:PYRCB:cash",
            NormalSide::Debit,
            false,
            "bank_cash",
            "361128",
        ),
        (
            "loan:PYRCB:L1:principal",
            NormalSide::Debit,
            false,
            "loan_principal",
            "361128101001",
        ),
        (
            "loan:PYRCB:L2:principal",
            NormalSide::Debit,
            false,
            "loan_principal",
            "361128102001",
        ),
        (
            "income:PYRCB:interest",
            NormalSide::Credit,
            false,
            "interest_income",
            "361128",
        ),
        (
            "fund:361128:risk",
            NormalSide::Debit,
            true,
            "fund_risk",
            "361128",
        ),
        (
            "treasury:361128",
            NormalSide::Credit,
            false,
            "treasury",
            "361128",
        ),
    ];
    let mut tx = db.write().await.expect("begin");
    let mut accounts = Vec::new();
    for (code, side, no_overdraft, kind, region) in specs {
        let account = ledger::open_account(
            &mut tx,
            &NewAccount {
                code: code.to_string(),
                normal_side: side,
                kind: kind.to_string(),
                institution_code: Some("PYRCB".to_string()),
                region_code: Some(RegionCode::parse(region).expect("region")),
                no_overdraft,
            },
        )
        .await
        .expect("open");
        accounts.push((account.id, side, no_overdraft));
    }
    tx.commit().await.expect("commit");
    accounts
}

/// The test's own model: every accepted transfer, by id.
#[derive(Default)]
struct Model {
    posted: HashMap<String, NewTransfer>,
}

impl Model {
    fn totals(&self, account: i64, through_day: Option<BusinessDate>) -> (i64, i64) {
        let mut totals = (0, 0);
        for transfer in self.posted.values() {
            if through_day.is_some_and(|d| transfer.value_date > d) {
                continue;
            }
            if transfer.debit_account_id == account {
                totals.0 += transfer.amount.fen();
            }
            if transfer.credit_account_id == account {
                totals.1 += transfer.amount.fen();
            }
        }
        totals
    }

    fn balance(&self, account: i64, side: NormalSide) -> i64 {
        let (debits, credits) = self.totals(account, None);
        match side {
            NormalSide::Debit => debits - credits,
            NormalSide::Credit => credits - debits,
        }
    }
}

async fn simulate(db: &Db, seed: u64, steps: usize) {
    let accounts = open_accounts(db).await;
    let mut random = Random(seed);
    let mut model = Model::default();
    let mut ids: Vec<String> = Vec::new();
    for step in 0..steps {
        let mut tx = db.write().await.expect("begin");
        let retry = !ids.is_empty() && random.below(5) == 0;
        let transfer = if retry {
            let id = ids[random.below(ids.len() as u64) as usize].clone();
            let mut transfer = model.posted[&id].clone();
            if random.below(2) == 0 {
                transfer.amount = Fen::new(transfer.amount.fen() + 1);
            }
            transfer
        } else {
            let debit = random.below(accounts.len() as u64) as usize;
            let credit =
                (debit + 1 + random.below(accounts.len() as u64 - 1) as usize) % accounts.len();
            NewTransfer {
                id: format!("t{seed}-{step}"),
                debit_account_id: accounts[debit].0,
                credit_account_id: accounts[credit].0,
                amount: Fen::new(1 + random.below(5_000_000) as i64),
                value_date: date(random.below(180)),
                code: "test".to_string(),
                memo: None,
            }
        };
        let outcome = ledger::post(&mut tx, &transfer, "tester", "2017-07-01T00:00:00Z")
            .await
            .expect("post runs");
        match outcome {
            Ok(Posted::New(_)) => {
                assert!(!retry, "a retry never posts anew");
                // A protected account may not go below zero on its normal side.
                for (id, side, no_overdraft) in &accounts {
                    if *no_overdraft
                        && (*id == transfer.debit_account_id || *id == transfer.credit_account_id)
                    {
                        let mut after = Model {
                            posted: model.posted.clone(),
                        };
                        after.posted.insert(transfer.id.clone(), transfer.clone());
                        assert!(
                            after.balance(*id, *side) >= 0,
                            "overdraft accepted at step {step}"
                        );
                    }
                }
                ids.push(transfer.id.clone());
                model.posted.insert(transfer.id.clone(), transfer);
                tx.commit().await.expect("commit");
            }
            Ok(Posted::AlreadyPosted(_)) => {
                assert_eq!(
                    model.posted.get(&transfer.id),
                    Some(&transfer),
                    "retry of the same content"
                );
                tx.commit().await.expect("commit");
            }
            Err(TransferRefused::IdReused { .. }) => {
                assert_ne!(model.posted.get(&transfer.id), Some(&transfer));
                tx.rollback().await.expect("rollback");
            }
            Err(TransferRefused::Overdraft { .. }) => {
                let (id, side, _) = accounts
                    .iter()
                    .find(|(id, _, protected)| {
                        *protected
                            && (*id == transfer.debit_account_id
                                || *id == transfer.credit_account_id)
                    })
                    .expect("only protected accounts refuse overdrafts");
                let mut after = Model {
                    posted: model.posted.clone(),
                };
                after.posted.insert(transfer.id.clone(), transfer.clone());
                assert!(
                    after.balance(*id, *side) < 0,
                    "refused without an overdraft at step {step}"
                );
                tx.rollback().await.expect("rollback");
            }
            Err(other) => panic!("unexpected refusal {other}"),
        }
    }
    verify(db, &accounts, &model).await;
}

/// Batches of transfers with many back-dated value dates, some into and out of the protected
/// fund: the day totals must come out as if each transfer had been posted alone, and a batch
/// is refused exactly when, in its order, it would overdraw the fund.
async fn simulate_batches(db: &Db, seed: u64, batches: usize) {
    let accounts = open_accounts(db).await;
    let free: Vec<i64> = accounts
        .iter()
        .filter(|(_, _, protected)| !protected)
        .map(|(id, _, _)| *id)
        .collect();
    let (fund, fund_side, _) = *accounts
        .iter()
        .find(|(_, _, protected)| *protected)
        .expect("a protected account");
    let mut random = Random(seed);
    let mut model = Model::default();
    let mut refused = 0;
    for batch in 0..batches {
        let size = 1 + random.below(60) as usize;
        let transfers: Vec<NewTransfer> = (0..size)
            .map(|n| {
                let debit = random.below(free.len() as u64) as usize;
                let credit =
                    (debit + 1 + random.below(free.len() as u64 - 1) as usize) % free.len();
                let (debit, credit) = match random.below(8) {
                    0 => (fund, free[credit]),
                    1 => (free[debit], fund),
                    _ => (free[debit], free[credit]),
                };
                NewTransfer {
                    id: format!("b{seed}-{batch}-{n}"),
                    debit_account_id: debit,
                    credit_account_id: credit,
                    amount: Fen::new(1 + random.below(5_000_000) as i64),
                    value_date: date(random.below(180)),
                    code: "test".to_string(),
                    memo: None,
                }
            })
            .collect();
        let mut after = Model {
            posted: model.posted.clone(),
        };
        let mut overdrawn = false;
        for transfer in &transfers {
            after.posted.insert(transfer.id.clone(), transfer.clone());
            overdrawn |= after.balance(fund, fund_side) < 0;
        }
        let mut tx = db.write().await.expect("begin");
        let outcome = ledger::post_all(&mut tx, &transfers, "tester", "2017-07-01T00:00:00Z")
            .await
            .expect("post runs");
        match outcome {
            Ok(posted) => {
                assert!(
                    !overdrawn,
                    "batch {batch} overdraws the fund and was posted"
                );
                assert!(posted.iter().all(|p| matches!(p, Posted::New(_))));
                tx.commit().await.expect("commit");
                model = after;
            }
            Err(TransferRefused::Overdraft { .. }) => {
                assert!(overdrawn, "batch {batch} was refused without an overdraft");
                tx.rollback().await.expect("rollback");
                refused += 1;
            }
            Err(other) => panic!("unexpected refusal {other}"),
        }
    }
    // Both outcomes happened, or the test proved less than it says.
    assert!(
        refused > 0 && refused < batches,
        "{refused} of {batches} refused"
    );
    verify(db, &accounts, &model).await;
}

/// The ledger's check is clean and every account's and the loan bucket's totals as of several
/// dates are the model's.
async fn verify(db: &Db, accounts: &[(i64, NormalSide, bool)], model: &Model) {
    let check = ledger::check(db).await.expect("check");
    assert!(check.is_clean(), "{check:#?}");
    assert_eq!(check.transfers, model.posted.len() as i64);
    for day in [0, 30, 59, 90, 120, 179, 400] {
        let on = date(day);
        for (id, _, _) in accounts {
            let totals = ledger::totals_as_of(db, *id, on).await.expect("totals");
            assert_eq!(
                (totals.debits.fen(), totals.credits.fen()),
                model.totals(*id, Some(on)),
                "account {id} on {on}"
            );
        }
        let loans = ledger::kind_totals_as_of(db, "loan_principal", Some("PYRCB"), "361128", on)
            .await
            .expect("kind");
        let expected = [accounts[1].0, accounts[2].0]
            .iter()
            .map(|id| model.totals(*id, Some(on)))
            .fold((0, 0), |sum, t| (sum.0 + t.0, sum.1 + t.1));
        assert_eq!(
            (loans.debits.fen(), loans.credits.fen()),
            expected,
            "loan bucket on {on}"
        );
    }
}

fupin_store::on_both_engines! {
    async fn a_batch_larger_than_one_statement_can_bind_posts_whole(db) {
        // 4,000 transfers of ten values each exceed SQLite's 32,766 parameters per statement.
        let accounts = open_accounts(&db).await;
        let (bank, loan) = (accounts[0].0, accounts[1].0);
        let transfers: Vec<NewTransfer> = (0..4_000u64)
            .map(|n| NewTransfer {
                id: format!("interest-{n}"), debit_account_id: loan, credit_account_id: bank,
                amount: Fen::new(n as i64 + 1), value_date: date(n % 3), code: "interest".into(),
                memo: None,
            })
            .collect();
        let mut tx = db.write().await.expect("begin");
        let posted = ledger::post_all(&mut tx, &transfers, "t", "now").await.expect("post")
            .expect("posted");
        tx.commit().await.expect("commit");
        let seqs: Vec<i64> = posted.iter().map(|p| match p {
            Posted::New(seq) => *seq,
            other => panic!("{other:?}"),
        }).collect();
        assert_eq!(seqs, (1..=4_000).collect::<Vec<i64>>(), "consecutive, in order");
        let total: i64 = (1..=4_000).sum();
        let through_first_day: i64 = (0..4_000i64).filter(|n| n % 3 == 0).map(|n| n + 1).sum();
        assert_eq!(ledger::totals_as_of(&db, loan, date(2)).await.expect("totals").debits.fen(), total);
        assert_eq!(ledger::totals_as_of(&db, loan, date(0)).await.expect("totals").debits.fen(), through_first_day);
        let check = ledger::check(&db).await.expect("check");
        assert!(check.is_clean(), "{check:#?}");
        // Posting the same batch again changes nothing.
        let mut tx = db.write().await.expect("begin");
        let again = ledger::post_all(&mut tx, &transfers, "t", "now").await.expect("post")
            .expect("posted");
        tx.commit().await.expect("commit");
        assert!(again.iter().all(|p| matches!(p, Posted::AlreadyPosted(_))));
        assert_eq!(ledger::totals_as_of(&db, loan, date(2)).await.expect("totals").debits.fen(), total);
    }

    async fn random_sequences_keep_the_invariants(db) {
        simulate(&db, 0x9E37_79B9_7F4A_7C15, 300).await;
    }

    async fn another_seed(db) {
        simulate(&db, 42, 200).await;
    }

    async fn random_batches_over_many_value_dates_keep_the_day_totals(db) {
        simulate_batches(&db, 0x5EED, 40).await;
    }

    async fn a_tampered_cache_is_reported(db) {
        simulate(&db, 7, 40).await;
        sqlx::query("update ledger_accounts set debits_posted_fen = debits_posted_fen + 1 where code = 'bank:PYRCB:cash'")
            .execute(db.pool()).await.expect("tamper");
        let check = ledger::check(&db).await.expect("check");
        assert!(!check.is_clean());
        assert_eq!(check.mismatches.len(), 1, "{check:#?}");
        assert!(check.mismatches[0].what.contains("bank:PYRCB:cash"));
    }

    async fn concurrent_posts_to_a_protected_account_never_overdraw(db) {
        let accounts = open_accounts(&db).await;
        let (fund, treasury) = (accounts[4].0, accounts[5].0);
        let bank = accounts[0].0;
        let mut tx = db.write().await.expect("begin");
        let deposit = NewTransfer {
            id: "deposit".into(), debit_account_id: fund, credit_account_id: treasury,
            amount: Fen::new(100_000), value_date: date(1), code: "deposit".into(), memo: None,
        };
        ledger::post(&mut tx, &deposit, "t", "now").await.expect("post").expect("posted");
        tx.commit().await.expect("commit");
        let mut tasks = Vec::new();
        for n in 0..10 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = db.write().await.expect("begin");
                let claim = NewTransfer {
                    id: format!("claim-{n}"), debit_account_id: bank, credit_account_id: fund,
                    amount: Fen::new(30_000), value_date: date(10), code: "claim".into(), memo: None,
                };
                let outcome = ledger::post(&mut tx, &claim, "t", "now").await.expect("post");
                match outcome {
                    Ok(_) => { tx.commit().await.expect("commit"); true }
                    Err(_) => { tx.rollback().await.expect("rollback"); false }
                }
            }));
        }
        let mut accepted = 0;
        for task in tasks {
            if task.await.expect("task") { accepted += 1; }
        }
        assert_eq!(accepted, 3, "100,000 fen covers three claims of 30,000");
        let check = ledger::check(&db).await.expect("check");
        assert!(check.is_clean(), "{check:#?}");
    }
}

/// A small fixed ledger: a loan disbursed on 1 January and partly repaid on the 2nd, another
/// disbursed on the 3rd, and interest received on the 3rd.
async fn post_fixed_ledger(db: &Db) {
    let accounts = open_accounts(db).await;
    let (bank, loan1, loan2, income) = (accounts[0].0, accounts[1].0, accounts[2].0, accounts[3].0);
    let transfer = |id: &str, debit, credit, amount, day| NewTransfer {
        id: id.to_string(),
        debit_account_id: debit,
        credit_account_id: credit,
        amount: Fen::new(amount),
        value_date: date(day),
        code: id.to_string(),
        memo: None,
    };
    let transfers = [
        transfer("disburse-1", loan1, bank, 100_000, 0),
        transfer("repay-1", bank, loan1, 30_000, 1),
        transfer("disburse-2", loan2, bank, 50_000, 2),
        transfer("interest-1", bank, income, 700, 2),
    ];
    let mut tx = db.write().await.expect("begin");
    ledger::post_all(&mut tx, &transfers, "t", "now")
        .await
        .expect("post")
        .expect("posted");
    tx.commit().await.expect("commit");
}

/// A change made behind the ledger's back, the statement that undoes it, and every difference
/// the check must report, in its order: (what, stored, recomputed).
struct Tampering {
    tamper: &'static str,
    undo: &'static str,
    expect: &'static [Difference],
}

/// A difference as the check reports it: what, stored (debits, credits), recomputed.
type Difference = (&'static str, (i64, i64), (i64, i64));

/// A [`Difference`] as found, to compare with the expected ones.
type Found = (String, (i64, i64), (i64, i64));

const TAMPERINGS: &[Tampering] = &[
    Tampering {
        tamper: "update ledger_accounts set debits_posted_fen = debits_posted_fen + 1 \
                 where code = 'bank:PYRCB:cash'",
        undo: "update ledger_accounts set debits_posted_fen = debits_posted_fen - 1 \
               where code = 'bank:PYRCB:cash'",
        expect: &[(
            "account bank:PYRCB:cash: cached totals",
            (30_701, 150_000),
            (30_700, 150_000),
        )],
    },
    Tampering {
        tamper: "update ledger_account_days set credits_total_fen = credits_total_fen + 5 \
                 where value_date = '2017-01-02' and account_id = (select id from ledger_accounts where code = 'loan:PYRCB:L1:principal')",
        undo: "update ledger_account_days set credits_total_fen = credits_total_fen - 5 \
               where value_date = '2017-01-02' and account_id = (select id from ledger_accounts where code = 'loan:PYRCB:L1:principal')",
        expect: &[(
            "account loan:PYRCB:L1:principal: totals at the end of 2017-01-02",
            (100_000, 30_005),
            (100_000, 30_000),
        )],
    },
    Tampering {
        tamper: "delete from ledger_account_days \
                 where value_date = '2017-01-02' and account_id = (select id from ledger_accounts where code = 'bank:PYRCB:cash')",
        undo: "insert into ledger_account_days (account_id, value_date, debits_total_fen, \
               credits_total_fen) select id, '2017-01-02', 30000, 100000 from ledger_accounts \
               where code = 'bank:PYRCB:cash'",
        expect: &[(
            "account bank:PYRCB:cash: no totals for 2017-01-02, where transfers were posted",
            (0, 100_000),
            (30_000, 100_000),
        )],
    },
    Tampering {
        tamper: "update ledger_bucket_days set debits_total_fen = debits_total_fen - 1 \
                 where kind = 'loan_principal' and value_date = '2017-01-03'",
        undo: "update ledger_bucket_days set debits_total_fen = debits_total_fen + 1 \
               where kind = 'loan_principal' and value_date = '2017-01-03'",
        expect: &[(
            "bucket loan_principal/PYRCB/361128000000: totals at the end of 2017-01-03",
            (149_999, 30_000),
            (150_000, 30_000),
        )],
    },
    Tampering {
        tamper: "delete from ledger_bucket_days where kind = 'bank_cash' and value_date = '2017-01-01'",
        undo: "insert into ledger_bucket_days (kind, institution_code, county_code, value_date, \
               debits_total_fen, credits_total_fen) \
               values ('bank_cash', 'PYRCB', '361128000000', '2017-01-01', 0, 100000)",
        expect: &[(
            "bucket bank_cash/PYRCB/361128000000: no totals for 2017-01-01, where transfers were posted",
            (0, 0),
            (0, 100_000),
        )],
    },
    Tampering {
        tamper: "insert into ledger_bucket_days (kind, institution_code, county_code, value_date, \
                 debits_total_fen, credits_total_fen) \
                 values ('ghost', 'PYRCB', '361128000000', '2017-01-01', 1, 0)",
        undo: "delete from ledger_bucket_days where kind = 'ghost'",
        expect: &[(
            "bucket ghost/PYRCB/361128000000: totals at the end of 2017-01-01",
            (1, 0),
            (0, 0),
        )],
    },
    Tampering {
        // A transfer is never updated: its amount changed leaves every total that holds it wrong.
        tamper: "update ledger_transfers set amount_fen = 701 where id = 'interest-1'",
        undo: "update ledger_transfers set amount_fen = 700 where id = 'interest-1'",
        expect: &[
            (
                "account bank:PYRCB:cash: totals at the end of 2017-01-03",
                (30_700, 150_000),
                (30_701, 150_000),
            ),
            (
                "account bank:PYRCB:cash: cached totals",
                (30_700, 150_000),
                (30_701, 150_000),
            ),
            (
                "account income:PYRCB:interest: totals at the end of 2017-01-03",
                (0, 700),
                (0, 701),
            ),
            (
                "account income:PYRCB:interest: cached totals",
                (0, 700),
                (0, 701),
            ),
            (
                "bucket bank_cash/PYRCB/361128000000: totals at the end of 2017-01-03",
                (30_700, 150_000),
                (30_701, 150_000),
            ),
            (
                "bucket interest_income/PYRCB/361128000000: totals at the end of 2017-01-03",
                (0, 700),
                (0, 701),
            ),
        ],
    },
];

fupin_store::on_both_engines! {
    async fn every_kind_of_tampering_is_named_by_the_check(db) {
        post_fixed_ledger(&db).await;
        let clean = ledger::check(&db).await.expect("check");
        assert!(clean.is_clean(), "{clean:#?}");
        assert_eq!((clean.accounts, clean.transfers), (6, 4));
        for case in TAMPERINGS {
            sqlx::query(case.tamper)
                .execute(db.pool()).await.expect(case.tamper);
            let check = ledger::check(&db).await.expect("check");
            let found: Vec<Found> = check.mismatches.iter()
                .map(|m| (
                    m.what.clone(),
                    (m.stored.debits.fen(), m.stored.credits.fen()),
                    (m.recomputed.debits.fen(), m.recomputed.credits.fen()),
                ))
                .collect();
            let expect: Vec<Found> = case.expect.iter()
                .map(|(what, stored, recomputed)| (what.to_string(), *stored, *recomputed))
                .collect();
            assert_eq!(found, expect, "after {}", case.tamper);
            assert!(!check.is_clean());
            sqlx::query(case.undo)
                .execute(db.pool()).await.expect(case.undo);
            let undone = ledger::check(&db).await.expect("check");
            assert!(undone.is_clean(), "after undoing {}: {undone:#?}", case.tamper);
        }
    }

    async fn a_check_spanning_pages_of_accounts_finds_a_difference_on_the_last(db) {
        post_fixed_ledger(&db).await;
        let bank = ledger::account_by_code(&db, "bank:PYRCB:cash").await.expect("find")
            .expect("bank").id;
        // More accounts than one page of the check holds.
        let loans: Vec<NewAccount> = (0..2_100)
            .map(|n| NewAccount {
                code: format!("loan:PYRCB:P{n}:principal"),
                normal_side: NormalSide::Debit,
                kind: "loan_principal".into(),
                institution_code: Some("PYRCB".into()),
                region_code: Some(RegionCode::parse("361128101001").expect("region")),
                no_overdraft: false,
            })
            .collect();
        let mut tx = db.write().await.expect("begin");
        let opened = ledger::open_accounts(&mut tx, &loans).await.expect("open");
        let transfers: Vec<NewTransfer> = opened.iter().enumerate()
            .map(|(n, loan)| NewTransfer {
                id: format!("disburse-P{n}"), debit_account_id: loan.id, credit_account_id: bank,
                amount: Fen::new(1_000 + n as i64), value_date: date(n as u64 % 5),
                code: "disburse".into(), memo: None,
            })
            .collect();
        ledger::post_all(&mut tx, &transfers, "t", "now").await.expect("post").expect("posted");
        tx.commit().await.expect("commit");
        let clean = ledger::check(&db).await.expect("check");
        assert!(clean.is_clean(), "{clean:#?}");
        assert_eq!((clean.accounts, clean.transfers), (2_106, 2_104));
        sqlx::query("update ledger_account_days set debits_total_fen = 1 where account_id = \
                     (select id from ledger_accounts where code = 'loan:PYRCB:P2099:principal')")
            .execute(db.pool()).await.expect("tamper");
        let check = ledger::check(&db).await.expect("check");
        let named: Vec<&str> = check.mismatches.iter().map(|m| m.what.as_str()).collect();
        // P2099 was disbursed on day 2099 % 5 = 4.
        assert_eq!(named, ["account loan:PYRCB:P2099:principal: totals at the end of 2017-01-05"]);
    }
}
