//! The control-status half of the ECS fixture contract (`tests/fixtures.rs` checks the findings):
//! for every `fixtures/ecs/<ECS.n>/` fixture, `pass*` gives no FAILED control result of that ID and
//! `fail*` at least one, and every FAILED result has a finding; the control results are
//! snapshotted (insta), so a new fixture needs no new code.

use std::path::Path;

use harden::checks::{self, Target};
use harden::findings::ControlStatus;
use harden::load::ecs::load_text_inventory;
use harden::scan::run_checks;

#[test]
fn every_ecs_fixture_gives_its_expected_verdict() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for check in checks::all()
        .into_iter()
        .filter(|c| c.target == Target::Ecs)
    {
        let dir = root.join("fixtures/ecs").join(check.id);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        files.sort();
        for path in files {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let relative = format!("fixtures/ecs/{}/{name}", check.id);
            let text = std::fs::read_to_string(&path).unwrap();
            let inventory =
                load_text_inventory(&relative, &text).unwrap_or_else(|e| panic!("{relative}: {e}"));
            let (mut findings, mut controls) = (Vec::new(), Vec::new());
            run_checks(None, None, Some(&inventory), &mut findings, &mut controls);
            findings.retain(|f| f.id == check.id);
            controls.retain(|c| c.id == check.id);
            let failed =
                controls.iter().any(|c| c.status == ControlStatus::Failed) || !findings.is_empty();
            if name.starts_with("pass") {
                assert!(
                    !failed,
                    "{relative}: expected no {} failure, got {controls:#?} {findings:#?}",
                    check.id
                );
            } else if name.starts_with("fail") {
                assert!(
                    failed,
                    "{relative}: expected a {} failure, got {controls:#?}",
                    check.id
                );
            } else {
                continue;
            }
            let snapshot_name = format!("{}__{}", check.id, name).replace('.', "_");
            insta::assert_json_snapshot!(snapshot_name, controls);
            checked += 1;
        }
    }
    assert!(checked > 0, "no ECS fixture was checked");
}
