//! The audit chain detects edited and deleted records.

use fupin_store::Db;
use fupin_store::audit::{self, AuditEntry, AuditProblem};

fn entry(n: usize) -> AuditEntry {
    AuditEntry {
        at: format!("2017-06-30T08:00:{:02}Z", n % 60),
        actor: "cli:tester".into(),
        action: "region.upsert".into(),
        entity: "region".into(),
        entity_id: format!("3611{n:08}"),
        before_json: n.is_multiple_of(2).then(|| format!("{{\"n\":{n}}}")),
        after_json: Some(format!("{{\"n\":{}}}", n + 1)),
        request_id: None,
    }
}

async fn append_entries(db: &Db, count: usize) {
    let mut tx = db.write().await.expect("begin");
    for n in 0..count {
        audit::append(&mut tx, &entry(n)).await.expect("append");
    }
    tx.commit().await.expect("commit");
}

fupin_store::on_both_engines! {
    async fn an_untouched_chain_verifies(db) {
        append_entries(&db, 25).await;
        let report = audit::verify(&db).await.expect("verify");
        assert_eq!(report.records, 25);
        assert_eq!(report.problems, vec![]);
    }

    async fn an_edited_record_is_named(db) {
        append_entries(&db, 10).await;
        sqlx::query("update audit_log set actor = 'someone else' where seq = 4")
            .execute(db.pool()).await.expect("tamper");
        let report = audit::verify(&db).await.expect("verify");
        assert_eq!(report.problems, vec![AuditProblem::Altered { seq: 4 }]);
    }

    async fn a_deleted_record_is_named(db) {
        append_entries(&db, 10).await;
        sqlx::query("delete from audit_log where seq = 7")
            .execute(db.pool()).await.expect("tamper");
        let report = audit::verify(&db).await.expect("verify");
        assert_eq!(
            report.problems,
            vec![AuditProblem::Missing { from_seq: 7, to_seq: 7 }, AuditProblem::BrokenLink { seq: 8 }]
        );
    }

    async fn a_deleted_tail_is_named(db) {
        append_entries(&db, 10).await;
        sqlx::query("delete from audit_log where seq > 8")
            .execute(db.pool()).await.expect("tamper");
        let report = audit::verify(&db).await.expect("verify");
        assert_eq!(report.problems, vec![AuditProblem::HeadMismatch { head_seq: 10, last_seq: 8 }]);
    }

    async fn concurrent_appends_keep_one_chain(db) {
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move { append_entries(&db, 5).await }));
        }
        for task in tasks {
            task.await.expect("task");
        }
        let report = audit::verify(&db).await.expect("verify");
        assert_eq!(report.records, 40);
        assert_eq!(report.problems, vec![]);
    }

    async fn a_rolled_back_write_leaves_no_record(db) {
        let mut tx = db.write().await.expect("begin");
        audit::append(&mut tx, &entry(1)).await.expect("append");
        tx.rollback().await.expect("rollback");
        append_entries(&db, 1).await;
        let report = audit::verify(&db).await.expect("verify");
        assert_eq!((report.records, report.problems), (1, vec![]));
    }

    async fn a_batch_is_one_record_that_gives_its_entries_back(db) {
        let entries: Vec<AuditEntry> = (0..300).map(batch_entry).collect();
        let mut tx = db.write().await.expect("begin");
        audit::append(&mut tx, &entry(1)).await.expect("append");
        let seq = audit::append_batch(&mut tx, &entries).await.expect("batch");
        tx.commit().await.expect("commit");
        assert_eq!(seq, Some(2));
        let report = audit::verify(&db).await.expect("verify");
        assert_eq!((report.records, report.problems), (2, vec![]));
        let latest = audit::recent(&db, 1).await.expect("recent");
        assert_eq!(latest[0].entry.action, audit::BATCH_ACTION);
        assert_eq!(latest[0].entry.entity_id, "150 loan.create, 150 loan.disburse");
        assert_eq!(latest[0].entries().expect("entries"), entries);
        let stored = latest[0].batch.as_ref().expect("batch bytes").len();
        let plain: usize = entries.iter().map(|e| e.after_json.as_ref().map_or(0, String::len)).sum();
        assert!(stored * 4 < plain, "{stored} bytes deflated for {plain} bytes of JSON");
    }

    async fn an_altered_batch_is_named(db) {
        let entries: Vec<AuditEntry> = (0..10).map(batch_entry).collect();
        let mut tx = db.write().await.expect("begin");
        audit::append_batch(&mut tx, &entries).await.expect("batch");
        audit::append(&mut tx, &entry(1)).await.expect("append");
        tx.commit().await.expect("commit");
        let mut bytes: Vec<u8> = sqlx::query_scalar("select batch from audit_log where seq = 1")
            .fetch_one(db.pool()).await.expect("bytes");
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        sqlx::query("update audit_log set batch = $1 where seq = 1")
            .bind(bytes)
            .execute(db.pool()).await.expect("tamper");
        let report = audit::verify(&db).await.expect("verify");
        assert_eq!(report.problems, vec![AuditProblem::Altered { seq: 1 }]);
    }

    async fn batches_hold_at_most_a_thousand_entries_and_split_by_request(db) {
        let mut entries: Vec<AuditEntry> = (0..2_500).map(batch_entry).collect();
        for entry in &mut entries[2_400..] {
            entry.request_id = Some("req-2".into());
        }
        let mut tx = db.write().await.expect("begin");
        let last = audit::append_batches(&mut tx, &entries).await.expect("batches");
        tx.commit().await.expect("commit");
        // 2,400 of the first request: 1,000 + 1,000 + 400; then 100 of the second.
        assert_eq!(last, Some(4));
        let records = audit::recent(&db, 10).await.expect("recent");
        let sizes: Vec<usize> = records.iter().rev().map(|r| r.entries().expect("entries").len()).collect();
        assert_eq!(sizes, [1_000, 1_000, 400, 100]);
        let back: Vec<AuditEntry> = records.iter().rev().flat_map(|r| r.entries().expect("entries")).collect();
        assert_eq!(back, entries);
        assert_eq!(audit::recent_entries(&db, 3).await.expect("entries"), [
            entries[2_499].clone(), entries[2_498].clone(), entries[2_497].clone()
        ]);
        let report = audit::verify(&db).await.expect("verify");
        assert_eq!((report.records, report.problems), (4, vec![]));
    }

    async fn a_batch_of_one_is_a_plain_record(db) {
        let mut tx = db.write().await.expect("begin");
        audit::append_batch(&mut tx, &[batch_entry(7)]).await.expect("batch");
        tx.commit().await.expect("commit");
        let latest = audit::recent(&db, 1).await.expect("recent");
        assert_eq!((latest[0].entry.clone(), latest[0].batch.clone()), (batch_entry(7), None));
    }
}

/// An import's entry: one time, actor and request for all, actions alternating.
fn batch_entry(n: usize) -> AuditEntry {
    let action = if n.is_multiple_of(2) {
        "loan.create"
    } else {
        "loan.disburse"
    };
    AuditEntry {
        at: "2017-06-30T08:00:00Z".into(),
        actor: "cli:loader".into(),
        action: action.into(),
        entity: "loan".into(),
        entity_id: format!("XZRCB/HT{n:06}"),
        before_json: None,
        after_json: Some(format!(
            "{{\"contract_no\":\"HT{n:06}\",\"amount\":\"{}.00\",\"term_months\":24,\"rate_bps\":475}}",
            10_000 + n
        )),
        request_id: Some("req-1".into()),
    }
}
