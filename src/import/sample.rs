//! A year of records at the office's volume, written as the old system might export it — for
//! the tests and the benchmark (never checked in: a year is megabytes). 8,399 consultations;
//! 2,739 cases, 955 of them taken to a second complaint and 114 of those to mediation (60
//! established); 12 meetings held; 74 inspections; 37 education events. Files are named
//! `{kind}-{year}.csv`, so several years can share a directory.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{Days, NaiveDate};

fn day(year: i32, n: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).and_then(|d| d.checked_add_days(Days::new(n))).unwrap_or_default()
}

pub fn write_year(dir: &Path, year: i32) -> std::io::Result<()> {
    let mut consultations = String::from("ref,received_on,channel,summary,category\n");
    for i in 0..8399u64 {
        let _ = writeln!(consultations, "C{year}-{i},{},phone,詢問退費規定第{i}件,fitness", day(year, i % 365));
    }
    let mut cases = String::from(
        "ref,received_on,channel,category,business_name,consumer_name,description,requested_resolution,amount_disputed\n",
    );
    let mut stages = String::from("case_ref,seq,stage,status,filed_on,due_on,closed_on,settlement_amount\n");
    for i in 0..2739u64 {
        let received = day(year, i % 300);
        let at = |d: u64| received.checked_add_days(Days::new(d)).unwrap_or(received);
        let _ = writeln!(
            cases,
            "K{year}-{i},{received},walk_in,fitness,商家{},消費者{i},課程取消未退費,退費,{}",
            i % 40,
            1000 + i
        );
        if i < 955 {
            let _ = writeln!(stages, "K{year}-{i},1,first_complaint,unresolved,{received},{},{},", at(21), at(10));
            if i < 114 {
                let _ = writeln!(stages, "K{year}-{i},2,second_complaint,unresolved,{},,{},", at(12), at(20));
                let (status, amount) = if i < 60 { ("established", "5000") } else { ("not_established", "") };
                let _ = writeln!(stages, "K{year}-{i},3,mediation,{status},{},,{},{amount}", at(22), at(40));
            } else {
                let _ = writeln!(stages, "K{year}-{i},2,second_complaint,settled,{},,{},", at(12), at(20));
            }
        } else if i % 2 == 0 {
            let _ = writeln!(stages, "K{year}-{i},1,first_complaint,settled,{received},{},{},", at(21), at(9));
        } else {
            let _ = writeln!(stages, "K{year}-{i},1,first_complaint,responded,{received},{},,", at(21));
        }
    }
    let mut meetings =
        String::from("ref,number,scheduled_on,time,location,status,held_on,members_present,members_total\n");
    for m in 1..=12u32 {
        let on = NaiveDate::from_ymd_opt(year, m, 15).unwrap_or_default();
        let _ = writeln!(meetings, "M{year}-{m},{m},{on},14:30,第一會議室,held,{on},9,15");
    }
    let mut inspections = String::from("ref,inspected_on,theme,venue,items_checked,violations\n");
    for i in 0..74u64 {
        let _ = writeln!(inspections, "I{year}-{i},{},labelling,賣場{i},10,1", day(year, i * 4));
    }
    let mut events = String::from("ref,held_on,kind,title,attendees\n");
    for i in 0..37u64 {
        let _ = writeln!(events, "E{year}-{i},{},lecture,消費者保護宣導第{i}場,50", day(year, i * 9));
    }
    for (kind, text) in [
        ("consultations", consultations),
        ("cases", cases),
        ("stages", stages),
        ("meetings", meetings),
        ("inspections", inspections),
        ("education_events", events),
    ] {
        std::fs::write(dir.join(format!("{kind}-{year}.csv")), text)?;
    }
    Ok(())
}
