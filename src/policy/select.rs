//! Which checks a run reports: `--only` and `--skip` (check IDs, names, or families such as `DF`
//! or `ECS`). A check left out is as if it had not run: its findings and control results are
//! dropped (not suppressed) and it cannot fail the run. Applied after ignores, so an ignore for a
//! skipped check is not reported unused.

use std::collections::BTreeSet;

use crate::checks::{self, Check};
use crate::findings::{ControlResult, Finding};

/// The checks kept by `--only`/`--skip`. `Selection::default()` keeps every check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// `None`: every check not skipped.
    only: Option<BTreeSet<&'static str>>,
    skip: BTreeSet<&'static str>,
}

/// A selector that names no check and no family.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "{flag} {selector:?}: no check has this ID or name and no family is called so (families: {families}); `harden rules` lists the checks"
)]
pub struct UnknownSelector {
    pub flag: &'static str,
    pub selector: String,
    pub families: String,
}

impl Selection {
    pub fn new(only: &[String], skip: &[String]) -> Result<Selection, UnknownSelector> {
        let only = if only.is_empty() {
            None
        } else {
            let mut ids = BTreeSet::new();
            for selector in only {
                ids.extend(resolve("--only", selector)?);
            }
            Some(ids)
        };
        let mut skipped = BTreeSet::new();
        for selector in skip {
            skipped.extend(resolve("--skip", selector)?);
        }
        Ok(Selection {
            only,
            skip: skipped,
        })
    }

    /// Whether a check (by ID) is reported.
    pub fn keeps(&self, id: &str) -> bool {
        !self.skip.contains(id) && self.only.as_ref().is_none_or(|only| only.contains(id))
    }

    /// Drops the findings and control results of the checks left out.
    pub fn apply(&self, findings: &mut Vec<Finding>, controls: &mut Vec<ControlResult>) {
        if *self == Selection::default() {
            return;
        }
        findings.retain(|f| self.keeps(f.id));
        controls.retain(|c| self.keeps(c.id));
    }
}

/// The family of a check ID: the letters before the number (`DF001` → `DF`, `ECS.5` → `ECS`).
pub fn family(id: &str) -> &str {
    let end = id
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(id.len());
    &id[..end]
}

fn resolve(flag: &'static str, selector: &str) -> Result<Vec<&'static str>, UnknownSelector> {
    let selector = selector.trim();
    if let Some(check) = checks::find(selector) {
        return Ok(vec![check.id]);
    }
    let all = checks::all();
    let members: Vec<&'static str> = all
        .iter()
        .filter(|c| family(c.id).eq_ignore_ascii_case(selector))
        .map(|c| c.id)
        .collect();
    if members.is_empty() {
        let families: BTreeSet<&str> = all.iter().map(|c: &&Check| family(c.id)).collect();
        return Err(UnknownSelector {
            flag,
            selector: selector.to_string(),
            families: families.into_iter().collect::<Vec<_>>().join(", "),
        });
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_names_and_families_select_checks() {
        let only_df = Selection::new(&["df".to_string()], &[]).unwrap();
        assert!(only_df.keeps("DF001"));
        assert!(!only_df.keeps("IM001"));
        let skip = Selection::new(&[], &["root-user".to_string(), "ECS".to_string()]).unwrap();
        assert!(!skip.keeps("IM001"));
        assert!(!skip.keeps("ECS.5"));
        assert!(skip.keeps("IM002"));
        let both = Selection::new(&["IM".to_string()], &["IM001".to_string()]).unwrap();
        assert!(!both.keeps("IM001") && both.keeps("IM002") && !both.keeps("DF001"));
    }

    #[test]
    fn an_unknown_selector_is_an_error_listing_the_families() {
        let error = Selection::new(&[], &["ZZ9".to_string()]).unwrap_err();
        assert!(error.to_string().contains("--skip \"ZZ9\""));
        assert!(error.families.contains("DF"));
        assert!(error.families.contains("ECS"));
    }
}
