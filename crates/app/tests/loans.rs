//! Products, loans, repayments, end of day, extensions, rollovers, write-offs and recoveries,
//! through files and use cases, on both engines. Every amount is checked against a value this
//! test derives by hand (or by its own arithmetic), and the ledger is checked after each step.

mod common;

use common::*;
use fupin_app::AppError;
use fupin_app::imports::loans::{LoanImporter, RepaymentImporter};
use fupin_app::loans::{self, RepaymentOutcome};
use fupin_core::Fen;

fupin_store::on_both_engines! {
    async fn a_microcredit_loan_through_its_life(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let file = write(dir.path(), "loans.csv", &format!(
            "{LOAN_HEADER}C1,PYRCB,MC,household,H1,50000,4.75,2017-03-15,2020-03-15,养殖生猪\n"
        ));
        let report = import_file(&db, &file, LoanImporter::new(&db)).await;
        assert_applied(&report);
        assert_eq!(report.counts.added, 1);
        assert_eq!(balance(&db, "loan:PYRCB:C1:principal").await, yuan("50000"));
        assert_eq!(balance(&db, "bank:PYRCB:cash").await, yuan("-50000"));

        // Level payment of 50,000 at 4.75 % over 36 months: 1,492.94 (spreadsheet PMT). The first
        // month's interest is 50,000 × 4.75 % / 12 = 197.92; principal 1,295.02.
        let detail = loans::detail(&db, "PYRCB", "C1").await.expect("detail");
        assert_eq!(detail.instalments.len(), 36);
        let first = &detail.instalments[0].state;
        assert_eq!((first.due_on, first.interest, first.principal), (date("2017-04-15"), yuan("197.92"), yuan("1295.02")));

        // End of day through 15 April charges the first instalment's interest on its due date.
        let report = eod(&db, "2017-04-15").await;
        assert_eq!(report.days.last().and_then(|d| d.date), Some(date("2017-04-15")));
        assert_eq!(balance(&db, "loan:PYRCB:C1:interest").await, yuan("197.92"));
        assert_eq!(balance(&db, "bank:PYRCB:interest_income").await, yuan("197.92"));
        ledger_is_clean(&db).await;

        // Unpaid at the end of 15 April: overdue from 16 April. On 16 May, 31 days.
        eod(&db, "2017-05-16").await;
        let loan = loans::detail(&db, "PYRCB", "C1").await.expect("detail").loan;
        assert_eq!((loan.overdue_since, loan.overdue_days, loan.classification.as_str()),
            (Some(date("2017-04-16")), 31, "special_mention"));

        // A payment on 16 May, when April's and May's instalments are both overdue: both months'
        // interest first (197.92 + May's 48,704.98 × 4.75 % / 12 = 192.79), then April's
        // principal with what is left (1,600 − 390.71 = 1,209.29 of 1,295.02).
        let outcome = repay(&db, "R1", "C1", "2017-05-16", "1600").await.expect("applies");
        assert_eq!(
            outcome,
            RepaymentOutcome::Applied { principal: yuan("1209.29"), interest: yuan("390.71"), penalty: Fen::ZERO, settled: false }
        );
        let loan = loans::detail(&db, "PYRCB", "C1").await.expect("detail").loan;
        assert_eq!(loan.overdue_since, Some(date("2017-04-16")), "85.73 of April is still unpaid");
        // The rest of April (85.73) and May's principal (1,492.94 − 192.79 = 1,300.15) cure it.
        let outcome = repay(&db, "R1b", "C1", "2017-05-17", "1385.88").await.expect("applies");
        assert_eq!(
            outcome,
            RepaymentOutcome::Applied { principal: yuan("1385.88"), interest: Fen::ZERO, penalty: Fen::ZERO, settled: false }
        );
        let loan = loans::detail(&db, "PYRCB", "C1").await.expect("detail").loan;
        assert_eq!((loan.overdue_since, loan.overdue_days, loan.classification.as_str()), (None, 0, "normal"));
        assert_eq!(loan.next_unpaid_due_on, Some(date("2017-06-15")));
        assert_eq!(balance(&db, "loan:PYRCB:C1:principal").await, yuan("47404.83"));
        ledger_is_clean(&db).await;

        // Retrying the same repayment posts nothing; the same id with another amount is refused.
        assert_eq!(repay(&db, "R1", "C1", "2017-05-16", "1600").await.expect("retry"), RepaymentOutcome::AlreadyApplied);
        let conflict = repay(&db, "R1", "C1", "2017-05-16", "1700").await.expect_err("reused id");
        assert!(matches!(conflict, AppError::Conflict(_)), "{conflict}");
        // More than is due and not the settlement amount: refused, nothing lost.
        let over = repay(&db, "R2", "C1", "2017-05-20", "5000").await.expect_err("overpayment");
        assert!(over.to_string().contains("the excess would be lost"), "{over}");
        assert_eq!(balance(&db, "loan:PYRCB:C1:principal").await, yuan("47404.83"));

        // Overdue spells are kept for the subsidy: from 16 April until the cure on 17 May.
        let spells = loans::detail(&db, "PYRCB", "C1").await.expect("detail").overdue_spells;
        assert_eq!(spells, vec![(date("2017-04-16"), Some(date("2017-05-17")))]);
    }

    async fn refusals_of_the_loans_file_name_row_and_field(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let enterprise = enterprise_code();
        let content = format!(
            "{LOAN_HEADER}\
             B1,PYRCB,MC,household,H1,60000,4.75,2017-03-15,2019-03-15,养殖\n\
             B2,PYRCB,MC,household,H1,30000,4.75,2017-03-15,2021-03-15,养殖\n\
             B3,PYRCB,MC,household,H2,30000,4.75,2017-03-15,2019-03-15,养殖\n\
             B4,PYRCB,MC,household,H1,30000,4.75,2017-03-15,2019-03-15,入股茶叶合作社分红\n\
             B5,PYRCB,MC,household,H9,30000,4.75,2017-03-15,2019-03-15,养殖\n\
             B6,PYRCB,ABCMC,household,H1,30000,4.35,2017-03-15,2018-03-15,养殖\n\
             B7,PYRCB,TEA,household,H1,30000,5.22,2017-03-15,2018-03-15,种茶\n\
             B8,PYRCB,MC,household,H1,30000,4.75,2017-03-15,2018-03-20,养殖\n\
             B9,PYRCB,TEA,enterprise,{enterprise},500000,5.22,2017-03-15,2018-03-15,茶园扩建\n\
             B9,PYRCB,TEA,enterprise,{enterprise},500000,5.22,2017-03-15,2018-03-15,茶园扩建\n\
             B10,PYRCB,MC,household,H1,abc,4.75,2017-03-15,2018-03-15,养殖\n"
        );
        let file = write(dir.path(), "loans.csv", &content);
        let report = import_file(&db, &file, LoanImporter::new(&db)).await;
        assert!(!report.applied);
        let expect = [
            (2, "principal", "at most 50,000.00 per household"),
            (2, "principal", "above product MC's maximum"),
            (3, "maturity_on", "at most 36 months"),
            (4, "borrower_id", "is 70 at signing"),
            (5, "purpose", "户贷企用"),
            (6, "borrower_id", "not in the registry"),
            (7, "product_code", "belongs to ABC, not PYRCB"),
            (8, "borrower_type", "lends to a enterprise, not a household"),
            (9, "maturity_on", "not a whole number of months"),
            (11, "contract_no", "appears twice: rows 10 and 11"),
            (12, "principal", "abc"),
        ];
        for (line, column, fragment) in expect {
            assert!(
                report.errors.iter().any(|e| e.line == line && e.column == column && e.message.contains(fragment)),
                "line {line} {column} {fragment:?} in {:#?}", report.errors
            );
        }
        // Row 10 (the enterprise's tea loan) was valid, but the file changed nothing.
        assert!(loans::detail(&db, "PYRCB", "B9").await.is_err());
        ledger_is_clean(&db).await;
    }

    async fn a_loans_file_of_several_batches_keeps_each_schedule_with_its_loan(db) {
        // Loans are checked and written 500 at a time: 1,234 rows make three batches, whose
        // loans, schedules and accounts must still be each other's.
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let mut rows = String::from(LOAN_HEADER.trim_end()) + ",repayment\n";
        let mut total = 0i64;
        for n in 1..=1234 {
            let (months, method) = if n % 2 == 0 { (12, "equal_principal") } else { (6, "equal_instalment") };
            let principal = 1000 + n;
            total += principal;
            rows.push_str(&format!(
                "B{n},ABC,ABCMC,household,H1,{principal},4.35,2017-01-10,{},种植,{method}\n",
                if months == 12 { "2018-01-10" } else { "2017-07-10" }
            ));
        }
        let file = write(dir.path(), "many.csv", &rows);
        let report = import_file(&db, &file, LoanImporter::new(&db)).await;
        assert_applied(&report);
        assert_eq!(report.counts.added, 1234);
        assert_eq!(balance(&db, "bank:ABC:cash").await, yuan(&format!("-{total}")));
        for n in [1, 2, 499, 500, 501, 1000, 1001, 1234] {
            let detail = loans::detail(&db, "ABC", &format!("B{n}")).await.expect("detail");
            assert_eq!(detail.loan.terms.principal, yuan(&(1000 + n).to_string()), "B{n}");
            assert_eq!(detail.instalments.len(), if n % 2 == 0 { 12 } else { 6 }, "B{n}");
            let scheduled: i64 = detail.instalments.iter().map(|i| i.state.principal.fen()).sum();
            assert_eq!(Fen::new(scheduled), detail.loan.terms.principal, "B{n}");
            assert_eq!(balance(&db, &format!("loan:ABC:B{n}:principal")).await, detail.loan.terms.principal);
        }
        ledger_is_clean(&db).await;
        the_file_is_audited_in_batches(&db, &file, 1234).await;
        // Loaded again: every row unchanged; with one row given twice, the file is refused.
        assert_eq!(import_file(&db, &file, LoanImporter::new(&db)).await.counts.unchanged, 1234);
        rows.push_str("B3,ABC,ABCMC,household,H1,1003,4.35,2017-01-10,2017-07-10,种植,equal_instalment\n");
        let twice = write(dir.path(), "twice.csv", &rows);
        let report = import_file(&db, &twice, LoanImporter::new(&db)).await;
        assert!(!report.applied);
        let errors: Vec<(u64, &str)> = report.errors.iter().map(|e| (e.line, e.message.as_str())).collect();
        assert_eq!(errors, [(1236, "contract B3 of ABC appears twice: rows 4 and 1236")]);
    }

    async fn a_repayments_file_leaves_each_loan_as_commands_would(db) {
        // A file's repayments are applied 500 at a time in memory, each on its loan as the rows
        // before it left it. Two loans of the same terms: the file repays F, commands repay G
        // with the same amounts on the same days; both must end alike.
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let loans_file = write(dir.path(), "loans.csv", &format!(
            "{LOAN_HEADER}F,PYRCB,MC,household,H1,12000,4.75,2017-01-10,2018-01-10,种植\n\
             G,PYRCB,MC,household,H1,12000,4.75,2017-01-10,2018-01-10,种植\n"
        ));
        assert_applied(&import_file(&db, &loans_file, LoanImporter::new(&db)).await);
        // February to April unpaid: overdue since 11 February.
        eod(&db, "2017-04-20").await;
        let payments = [
            ("2017-04-20", "1000"), // part of February: still overdue
            ("2017-04-21", "2500"), // the rest of what is overdue: the spell ends
            ("2017-04-21", "30"),   // a second payment on the same day
            ("2017-05-10", "573.68"), // what is due that day
            ("2017-06-12", "500"),
        ];
        let mut rows = String::from("id,contract_no,institution_code,paid_on,amount\n");
        for (n, (on, amount)) in payments.iter().enumerate() {
            rows.push_str(&format!("F{n},F,PYRCB,{on},{amount}\n"));
            repay(&db, &format!("G{n}"), "G", on, amount).await.expect("command");
        }
        let file = write(dir.path(), "repayments.csv", &rows);
        let report = import_file(&db, &file, RepaymentImporter::default()).await;
        assert_applied(&report);
        assert_eq!(report.counts.added, payments.len() as u64);
        let f = loans::detail(&db, "PYRCB", "F").await.expect("F");
        let g = loans::detail(&db, "PYRCB", "G").await.expect("G");
        assert_eq!(f.instalments, g.instalments);
        assert_eq!(f.overdue_spells, g.overdue_spells);
        assert_eq!(f.overdue_spells.len(), 1);
        assert!(f.overdue_spells[0].1.is_some(), "the spell ended: {:?}", f.overdue_spells);
        assert_eq!(
            (f.loan.next_unpaid_due_on, f.loan.overdue_since, f.loan.overdue_days, f.loan.classification, &f.loan.status),
            (g.loan.next_unpaid_due_on, g.loan.overdue_since, g.loan.overdue_days, g.loan.classification, &g.loan.status)
        );
        assert_eq!((f.principal_outstanding, f.interest_outstanding), (g.principal_outstanding, g.interest_outstanding));
        ledger_is_clean(&db).await;
        // A refused row (paid before the loan started) refuses the file: nothing changes.
        let refused = write(dir.path(), "refused.csv",
            "id,contract_no,institution_code,paid_on,amount\nF9,F,PYRCB,2017-07-10,100\nF10,F,PYRCB,2016-12-01,100\n");
        let report = import_file(&db, &refused, RepaymentImporter::default()).await;
        assert!(!report.applied);
        let errors: Vec<(u64, &str)> = report.errors.iter().map(|e| (e.line, e.message.as_str())).collect();
        assert_eq!(errors, [(3, "paid_on 2016-12-01 is before the loan started on 2017-01-10")]);
        assert_eq!(loans::detail(&db, "PYRCB", "F").await.expect("F").instalments, f.instalments);
    }

    async fn a_repayment_file_loaded_twice_posts_each_once(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let loans_file = write(dir.path(), "loans.csv", &format!(
            "{LOAN_HEADER}C2,PYRCB,MC,household,H1,12000,4.75,2017-01-10,2018-01-10,种植\n"
        ));
        assert_applied(&import_file(&db, &loans_file, LoanImporter::new(&db)).await);
        assert_eq!(import_file(&db, &loans_file, LoanImporter::new(&db)).await.counts.unchanged, 1);
        let repayments = write(dir.path(), "repayments.csv",
            "id,contract_no,institution_code,paid_on,amount\nP1,C2,PYRCB,2017-02-10,1000\nP2,C2,PYRCB,2017-03-10,1000\n");
        let first = import_file(&db, &repayments, RepaymentImporter::default()).await;
        assert_applied(&first);
        assert_eq!(first.counts.added, 2);
        let cash = balance(&db, "bank:PYRCB:cash").await;
        let second = import_file(&db, &repayments, RepaymentImporter::default()).await;
        assert_applied(&second);
        assert_eq!((second.counts.added, second.counts.unchanged), (0, 2));
        assert_eq!(balance(&db, "bank:PYRCB:cash").await, cash, "nothing posted twice");
        // −12,000 disbursed + 2,000 repaid.
        assert_eq!(cash, yuan("-10000"));
        ledger_is_clean(&db).await;
        // One repayment given three times in a file: each repeat names the first row, and the
        // file changes nothing.
        let repeated = write(dir.path(), "repeated.csv",
            "id,contract_no,institution_code,paid_on,amount\nP3,C2,PYRCB,2017-04-10,1000\n\
             P3,C2,PYRCB,2017-04-10,1000\nP3,C2,PYRCB,2017-04-11,500\n");
        let report = import_file(&db, &repeated, RepaymentImporter::default()).await;
        assert!(!report.applied);
        let errors: Vec<(u64, &str, &str)> = report.errors.iter()
            .map(|e| (e.line, e.column.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(errors, [
            (3, "id", "repayment P3 appears twice: rows 2 and 3"),
            (4, "id", "repayment P3 appears twice: rows 2 and 4"),
        ]);
        assert_eq!(balance(&db, "bank:PYRCB:cash").await, cash, "nothing posted");
    }

    async fn extension_rollover_write_off_and_recovery(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let enterprise = enterprise_code();
        let file = write(dir.path(), "loans.csv", &format!(
            "{LOAN_HEADER}E1,PYRCB,TEA,enterprise,{enterprise},600000,5.22,2017-01-01,2018-01-01,茶园\n\
             E2,PYRCB,TEA,enterprise,{enterprise},300000,5.22,2017-01-01,2017-07-01,茶园\n\
             E3,PYRCB,TEA,enterprise,{enterprise},100000,5.22,2017-01-01,2017-07-01,茶园\n"
        ));
        assert_applied(&import_file(&db, &file, LoanImporter::new(&db)).await);

        // Extension: monthly interest loan E1 extended on 2017-06-15 to 2018-07-01.
        let mut tx = db.write().await.expect("begin");
        let loan = loans::find(&mut tx, "PYRCB", "E1").await.expect("E1");
        loans::extend(&mut tx, &ctx(), &loan, date("2017-06-15"), date("2018-07-01"), "drought").await.expect("extend");
        tx.commit().await.expect("commit");
        let detail = loans::detail(&db, "PYRCB", "E1").await.expect("detail");
        assert_eq!((detail.loan.terms.maturity_on, detail.loan.original_maturity_on), (date("2018-07-01"), date("2018-01-01")));
        let live: Vec<_> = detail.instalments.iter().filter(|i| !i.superseded).collect();
        assert_eq!(live.last().map(|i| (i.state.due_on, i.state.principal)), Some((date("2018-07-01"), yuan("600000"))));
        let refused = {
            let mut tx = db.write().await.expect("begin");
            let loan = loans::find(&mut tx, "PYRCB", "E1").await.expect("E1");
            loans::extend(&mut tx, &ctx(), &loan, date("2017-06-16"), date("2018-01-01"), "x").await.expect_err("earlier")
        };
        assert!(refused.to_string().contains("must be after the current one"), "{refused}");

        // Rollover of E2 on 2017-07-01 after paying its interest: 300,000 moves to E2R.
        eod(&db, "2017-07-01").await;
        let interest = loans::detail(&db, "PYRCB", "E2").await.expect("E2").interest_outstanding;
        assert!(interest.is_positive());
        let mut tx = db.write().await.expect("begin");
        let loan = loans::find(&mut tx, "PYRCB", "E2").await.expect("E2");
        let refused = loans::roll_over(&mut tx, &ctx(), &loan, "E2R", date("2017-07-01"), date("2018-07-01"), "续贷").await.expect_err("interest owed");
        assert!(refused.to_string().contains("must be paid before a rollover"), "{refused}");
        drop(tx);
        let owed = {
            let detail = loans::detail(&db, "PYRCB", "E2").await.expect("E2");
            let due: i64 = detail.instalments.iter().filter(|i| !i.superseded && i.state.due_on <= date("2017-07-01"))
                .map(|i| i.state.interest_left().fen()).sum();
            Fen::new(due)
        };
        repay(&db, "E2-INT", "E2", "2017-07-01", &owed.to_plain_yuan()).await.expect("interest paid");
        let mut tx = db.write().await.expect("begin");
        let loan = loans::find(&mut tx, "PYRCB", "E2").await.expect("E2");
        loans::roll_over(&mut tx, &ctx(), &loan, "E2R", date("2017-07-01"), date("2018-07-01"), "续贷").await.expect("rollover");
        tx.commit().await.expect("commit");
        assert_eq!(balance(&db, "loan:PYRCB:E2:principal").await, Fen::ZERO);
        assert_eq!(balance(&db, "loan:PYRCB:E2R:principal").await, yuan("300000"));
        assert_eq!(loans::detail(&db, "PYRCB", "E2").await.expect("E2").loan.status, "rolled_over");

        // Write-off of E3 (never repaid) on 2017-12-31, then a recovery.
        eod(&db, "2017-12-31").await;
        let e3 = loans::detail(&db, "PYRCB", "E3").await.expect("E3");
        assert_eq!(e3.loan.classification.as_str(), "doubtful", "overdue since 2017-07-02: {} days", e3.loan.overdue_days);
        let expected_loss = Fen::new(e3.principal_outstanding.fen() + e3.interest_outstanding.fen());
        let mut tx = db.write().await.expect("begin");
        let loan = loans::find(&mut tx, "PYRCB", "E3").await.expect("E3");
        let lost = loans::write_off(&mut tx, &ctx(), &loan, date("2017-12-31"), "borrower insolvent").await.expect("write off");
        tx.commit().await.expect("commit");
        assert_eq!(lost, expected_loss);
        assert_eq!(balance(&db, "bank:PYRCB:loan_losses").await, expected_loss);
        assert_eq!(repay(&db, "REC1", "E3", "2018-01-05", "20000").await.expect("recovery"), RepaymentOutcome::Recovered(yuan("20000")));
        let too_much = repay(&db, "REC2", "E3", "2018-01-06", &expected_loss.to_plain_yuan()).await.expect_err("beyond the loss");
        assert!(too_much.to_string().contains("more than is left to recover"), "{too_much}");
        assert_eq!(balance(&db, "bank:PYRCB:recoveries").await, yuan("20000"));
        ledger_is_clean(&db).await;
        // End of day for a day already done changes nothing.
        assert!(eod(&db, "2017-12-31").await.days.is_empty());
    }

    async fn random_lending_keeps_the_ledger_consistent(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let mut random = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move |bound: u64| { random ^= random << 13; random ^= random >> 7; random ^= random << 17; random % bound };
        let mut rows = String::from(LOAN_HEADER);
        for n in 0..12 {
            let principal = 5_000 + next(45_000);
            let months = [6, 12, 24, 36][next(4) as usize];
            let start = date("2017-01-01").add_days(next(60) as i64).expect("date");
            let maturity = start.add_months_clamped(months).expect("date");
            rows.push_str(&format!("L{n},PYRCB,MC,household,H1,{principal},4.75,{start},{maturity},养殖\n"));
        }
        assert_applied(&import_file(&db, &write(dir.path(), "loans.csv", &rows), LoanImporter::new(&db)).await);
        let mut paid_ids: Vec<(String, String, String, String)> = Vec::new();
        for step in 0..60 {
            let loan = format!("L{}", next(12));
            let day = date("2017-03-01").add_days(step * 4).expect("date");
            let choice = next(10);
            if choice == 0 && !paid_ids.is_empty() {
                let (id, contract, on, amount) = paid_ids[next(paid_ids.len() as u64) as usize].clone();
                assert_eq!(repay(&db, &id, &contract, &on, &amount).await.expect("retry"), RepaymentOutcome::AlreadyApplied);
            } else if choice == 1 {
                let mut tx = db.write().await.expect("begin");
                let found = loans::find(&mut tx, "PYRCB", &loan).await.expect("loan");
                if found.status == "active" {
                    loans::write_off(&mut tx, &ctx(), &found, day, "test").await.expect("write off");
                    tx.commit().await.expect("commit");
                }
            } else {
                let amount = yuan(&format!("{}", 100 + next(3000)));
                let id = format!("R{step}");
                if repay(&db, &id, &loan, &day.to_string(), &amount.to_plain_yuan()).await.is_ok() {
                    paid_ids.push((id, loan.clone(), day.to_string(), amount.to_plain_yuan()));
                }
            }
            if step % 15 == 14 {
                eod(&db, &day.to_string()).await;
                ledger_is_clean(&db).await;
            }
        }
        ledger_is_clean(&db).await;
        // Every loan's principal account equals its disbursement less principal repaid.
        for n in 0..12 {
            let detail = loans::detail(&db, "PYRCB", &format!("L{n}")).await.expect("loan");
            let repaid: i64 = detail.instalments.iter().map(|i| i.state.paid_principal.fen()).sum();
            let expected = match detail.loan.status.as_str() {
                "written_off" => 0,
                _ => detail.loan.terms.principal.fen() - repaid,
            };
            assert_eq!(detail.principal_outstanding.fen(), expected, "L{n} ({})", detail.loan.status);
        }
    }
}

/// The audit trail of a loans file: compact batch records holding each loan's `loan.create`
/// entry, then the file's own record naming its SHA-256; the chain verifies.
async fn the_file_is_audited_in_batches(
    db: &fupin_store::Db,
    file: &std::path::Path,
    loans: usize,
) {
    use sha2::Digest;
    let records = fupin_store::audit::recent(db, 20).await.expect("recent");
    let file_record = &records[0];
    assert_eq!(file_record.entry.action, "import.file");
    let after: serde_json::Value =
        serde_json::from_str(file_record.entry.after_json.as_deref().expect("json")).expect("json");
    let bytes = std::fs::read(file).expect("file");
    assert_eq!(after["sha256"], hex::encode(sha2::Sha256::digest(&bytes)));
    assert_eq!(
        (after["kind"].as_str(), after["added"].as_u64()),
        (Some("loans"), Some(loans as u64))
    );
    let batches: Vec<_> = records
        .iter()
        .skip(1)
        .take_while(|r| r.entry.action == fupin_store::audit::BATCH_ACTION)
        .collect();
    assert!(batches.len() > 1, "{} batch records", batches.len());
    let created: Vec<String> = batches
        .iter()
        .rev()
        .flat_map(|r| r.entries().expect("entries"))
        .filter(|e| e.action == "loan.create")
        .map(|e| e.entity_id)
        .collect();
    assert_eq!(created.len(), loans);
    assert!(
        created[0].ends_with("B1") && created[loans - 1].ends_with(&format!("B{loans}")),
        "{created:?}"
    );
    let report = fupin_app::audit::verify(db).await.expect("verify");
    assert_eq!(report.problems, vec![]);
}
