use std::collections::HashMap;

use praden_detect::registry::AgencyKind;
use praden_detect::AgencyRegistry;

#[test]
fn default_registry_loads_and_parents_exist() {
    let reg = AgencyRegistry::load_default().expect("embedded registry parses");
    for a in reg.agencies() {
        match &a.parent {
            Some(p) => {
                let id = reg
                    .top_level(p)
                    .unwrap_or_else(|| panic!("{} has unknown parent {p}", a.name_th));
                assert_eq!(
                    reg.get(id).kind,
                    AgencyKind::Ministry,
                    "{}: parent {p} is not a ministry",
                    a.name_th
                );
            }
            None => assert!(a.kind.is_top_level(), "{} has no parent", a.name_th),
        }
    }
}

#[test]
fn all_ministries_present_with_interior() {
    let reg = AgencyRegistry::load_default().unwrap();
    let ministries: Vec<&str> = reg
        .agencies()
        .iter()
        .filter(|a| a.kind == AgencyKind::Ministry)
        .map(|a| a.abbr_str())
        .collect();
    // 19 ministries plus the Office of the Prime Minister, which has ministry status.
    for abbr in [
        "นร.", "กห.", "กค.", "กต.", "กก.", "พม.", "อว.", "กษ.", "คค.", "ทส.", "ดศ.", "พน.", "พณ.",
        "มท.", "ยธ.", "รง.", "วธ.", "ศธ.", "สธ.", "อก.",
    ] {
        assert!(ministries.contains(&abbr), "missing ministry {abbr}");
    }
    assert_eq!(ministries.len(), 20);
    let mt = reg.get(reg.top_level("มท.").unwrap());
    assert_eq!(mt.name_th, "กระทรวงมหาดไทย");
    assert!(
        reg.agencies()
            .iter()
            .filter(|a| a.parent.as_deref() == Some("มท."))
            .count()
            >= 6,
        "Interior departments"
    );
    let prd = reg.by_abbr("กปส.");
    assert_eq!(prd.len(), 1);
    assert_eq!(reg.get(prd[0]).name_th, "กรมประชาสัมพันธ์");
    assert_eq!(reg.get(prd[0]).ministry_abbr(), "นร.");
}

#[test]
fn abbreviations_are_unique_or_marked_ambiguous() {
    let reg = AgencyRegistry::load_default().unwrap();
    let mut users: HashMap<&str, Vec<(usize, bool)>> = HashMap::new();
    for (id, a) in reg.agencies().iter().enumerate() {
        for ab in a.all_abbrs() {
            users
                .entry(ab.text.as_str())
                .or_default()
                .push((id, ab.ambiguous));
        }
    }
    for (abbr, us) in users {
        let mut ids: Vec<usize> = us.iter().map(|u| u.0).collect();
        ids.dedup();
        if ids.len() > 1 {
            assert!(
                us.iter().all(|u| u.1),
                "{abbr} is shared by several agencies but not marked '~' everywhere"
            );
        }
    }
}

#[test]
fn every_agency_has_names_and_keywords_where_expected() {
    let reg = AgencyRegistry::load_default().unwrap();
    for a in reg.agencies() {
        if a.kind.is_top_level() {
            assert!(!a.names_en.is_empty(), "{} has no English name", a.name_th);
        }
        if a.kind == AgencyKind::Ministry {
            assert!(
                a.keywords.len() >= 5,
                "{} needs mandate keywords",
                a.name_th
            );
        }
    }
}

#[test]
fn extension_file_adds_and_replaces_rows() {
    let dir = std::env::temp_dir().join(format!("praden-detect-reg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("extra.tsv");
    std::fs::write(
        &path,
        "ทดส.\tdepartment\tสธ.\tสำนักทดสอบระบบ\t\t\tTest Bureau\tทดสอบระบบ\n\
         สธ.\tministry\t\tกระทรวงสาธารณสุข\t\t\tMinistry of Public Health\tสาธารณสุข|สุขภาพ\n",
    )
    .unwrap();
    let base = AgencyRegistry::load_default().unwrap();
    let reg = AgencyRegistry::load_with_extension(&path).unwrap();
    assert_eq!(reg.agencies().len(), base.agencies().len() + 1);
    let moph = reg.get(reg.top_level("สธ.").unwrap());
    assert_eq!(moph.keywords, vec!["สาธารณสุข", "สุขภาพ"]);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn malformed_registry_is_rejected_with_line_number() {
    let err = AgencyRegistry::from_tsv("# header\nกค.\tministry\t\tกระทรวงการคลัง\n").unwrap_err();
    assert!(err.to_string().contains(":2:"), "{err}");
    let err =
        AgencyRegistry::from_tsv("ธร.\tdepartment\tกค.\tกรมธนารักษ์\t\t\tTreasury Department\t\n")
            .unwrap_err();
    assert!(err.to_string().contains("not a ministry"), "{err}");
}
