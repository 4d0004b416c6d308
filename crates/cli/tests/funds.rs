//! The county funds through the binary: deposits into two counties, then the figures of one
//! county, of a group and of the city, on both engines.

mod common;
use common::fupin;

fn out(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "fupin failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The value of one figure in `funds show --format csv`.
fn figure(csv: &str, name: &str) -> String {
    csv.lines()
        .find_map(|line| line.strip_prefix(&format!("{name},")))
        .unwrap_or_else(|| panic!("{name} in {csv}"))
        .to_string()
}

fupin_store::on_both_engines! {
    async fn fund_figures_of_a_county_a_group_and_the_city(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        out(&fupin(&url, &["init"]));
        // Poyang (361128) is a state-level poverty county; Xinzhou (361102) is not.
        let file = dir.path().join("deposits.csv");
        std::fs::write(&file, "id,county_code,fund,deposited_on,amount\n\
            D1,361128,risk_compensation,2017-01-10,20000\n\
            D2,361128,subsidy,2017-01-10,10000\n\
            D3,361102,risk_compensation,2017-02-01,5000\n").expect("write");
        out(&fupin(&url, &["import", "fund_deposits", file.to_str().expect("path")]));
        let show = |scope: &[&str]| {
            let mut args = vec!["funds", "show", "--as-of", "2017-06-30", "--format", "csv"];
            args.extend_from_slice(scope);
            out(&fupin(&url, &args))
        };
        let county = show(&["--region", "361128"]);
        let group = show(&["--group", "state-poverty-counties"]);
        let city = show(&["--region", "361100"]);
        assert_eq!(figure(&county, "risk_fund_deposits"), "20000.00");
        assert_eq!(figure(&group, "risk_fund_deposits"), "20000.00", "Xinzhou is not in the group");
        assert_eq!(figure(&group, "subsidy_fund_balance"), "10000.00");
        assert_eq!(figure(&city, "risk_fund_deposits"), "25000.00");
        // Before the deposits nothing is there; a group that does not exist is an error.
        let before = out(&fupin(&url, &["funds", "show", "--group", "state-poverty-counties",
            "--as-of", "2016-12-31", "--format", "csv"]));
        assert_eq!(figure(&before, "risk_fund_balance"), "0.00");
        let unknown = fupin(&url, &["funds", "show", "--group", "nowhere", "--as-of", "2017-06-30"]);
        assert!(!unknown.status.success());
        assert!(String::from_utf8_lossy(&unknown.stderr).contains("nowhere"));
    }
}
