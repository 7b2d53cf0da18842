//! Shared by the `ECS.n` controls: the evaluation scope of a task definition (latest ACTIVE
//! revision, structural problems, no containers), the [`Verdict`] that turns offenders into one
//! `ControlResult` (and a finding per failing field), and the root-user sets of reference §1.2.

use crate::checks::Emitter;
use crate::findings::{ControlResult, ControlStatus, Offender, ResourceRef};
use crate::model::ecs::{Container, Evaluation, Field, List, Origin, Tag, TaskDefinition, Value};

/// `ROOT_DOC`: the root users the Security Hub text for ECS.20 names [DOC].
pub fn is_documented_root(user: &str) -> bool {
    user == "root" || user == "0"
}

/// `ROOT_GUARD`: AWS's Guard rules also read `0:<group>` and `root:<group>` as root [AWS-GUARD].
/// Case-sensitive, untrimmed (reference §1.2).
pub fn is_guard_root(user: &str) -> bool {
    is_documented_root(user) || user.starts_with("0:") || user.starts_with("root:")
}

/// Collects what one control found on one resource.
#[derive(Debug, Default)]
pub struct Verdict {
    failed: Vec<(Offender, Origin)>,
    undecided: Vec<Offender>,
    notes: Vec<String>,
    parity_unverified: bool,
}

fn offender(origin: &Origin, container: Option<&Container>, message: String) -> Offender {
    Offender {
        pointer: origin.pointer.clone(),
        container: container.map(Container::label),
        message,
        source_path: (!origin.source_path.is_empty() && origin.source_path != origin.pointer)
            .then(|| origin.source_path.clone()),
        line: origin.line,
    }
}

impl Verdict {
    pub fn new() -> Verdict {
        Verdict::default()
    }

    /// One field fails the control.
    pub fn fail(
        &mut self,
        origin: &Origin,
        container: Option<&Container>,
        message: impl Into<String>,
    ) {
        self.failed
            .push((offender(origin, container, message.into()), origin.clone()));
    }

    /// One field cannot be judged offline (unknown) or is invalid.
    pub fn undecided(&mut self, origin: &Origin, container: Option<&Container>, reason: String) {
        self.undecided.push(offender(origin, container, reason));
    }

    /// Records the field as undecided when it is unknown or invalid; true if it was.
    pub fn undecidable<T>(&mut self, field: &Field<T>, container: Option<&Container>) -> bool {
        match field.undecidable() {
            Some(reason) => {
                self.undecided(&field.origin, container, reason);
                true
            }
            None => false,
        }
    }

    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// AWS's behaviour here is undocumented and the safer verdict was chosen.
    pub fn parity_unverified(&mut self) {
        self.parity_unverified = true;
    }

    pub fn has_failures(&self) -> bool {
        !self.failed.is_empty()
    }

    /// FAILED when any field fails (a known failure stands even if other fields are unknown),
    /// else INDETERMINATE when any is undecided, else PASSED.
    pub fn emit(self, out: &mut Emitter, resource: &ResourceRef) {
        let status = self.status();
        self.emit_as(out, resource, status);
    }

    fn status(&self) -> ControlStatus {
        if !self.failed.is_empty() {
            ControlStatus::Failed
        } else if !self.undecided.is_empty() {
            ControlStatus::Indeterminate
        } else {
            ControlStatus::Passed
        }
    }

    /// NOT_APPLICABLE with this verdict's notes.
    pub fn emit_not_applicable(self, out: &mut Emitter, resource: &ResourceRef) {
        self.emit_as(out, resource, ControlStatus::NotApplicable);
    }

    fn emit_as(self, out: &mut Emitter, resource: &ResourceRef, status: ControlStatus) {
        let id = out.check().id;
        if status == ControlStatus::Failed {
            for (offender, origin) in &self.failed {
                let message = match &offender.container {
                    Some(container) => format!("container {container}: {}", offender.message),
                    None => offender.message.clone(),
                };
                let location = origin.location(resource);
                let finding = out.finding(message, location);
                if let Some(source_path) = &offender.source_path {
                    finding.with_evidence("source_path", source_path.clone());
                }
                if self.parity_unverified {
                    finding.with_evidence(
                        "parity",
                        "AWS does not document this case; harden chose the safer verdict",
                    );
                }
            }
        }
        let mut offenders: Vec<Offender> = Vec::new();
        if status == ControlStatus::Failed {
            offenders.extend(self.failed.into_iter().map(|(o, _)| o));
        }
        if matches!(status, ControlStatus::Failed | ControlStatus::Indeterminate) {
            offenders.extend(self.undecided);
        }
        out.control(ControlResult {
            id,
            resource: resource.clone(),
            status,
            offenders,
            notes: self.notes,
            parity_unverified: self.parity_unverified,
        });
    }
}

/// The containers a task-definition control evaluates, or `None` after reporting the status that
/// ends the evaluation early: NOT_APPLICABLE for a revision Security Hub does not evaluate (not the
/// latest ACTIVE one) or one with no containers (as CT.ECS.PR.* do for IaC [AWS-GUARD]),
/// INDETERMINATE for a task definition ECS would reject or whose containers are unknown.
pub fn task_definition_scope<'a>(
    td: &'a TaskDefinition,
    out: &mut Emitter,
    reads_containers: bool,
) -> Option<&'a [Container]> {
    match scope(td, reads_containers) {
        Ok(containers) => Some(containers),
        Err(judged) => {
            judged.emit(out, &td.resource);
            None
        }
    }
}

/// What one control concluded about one task definition, not yet reported.
struct Judged {
    verdict: Verdict,
    status: ControlStatus,
}

impl Judged {
    fn new(verdict: Verdict, outcome: Outcome) -> Judged {
        let status = match outcome {
            Outcome::Evaluated => verdict.status(),
            Outcome::NotApplicable => ControlStatus::NotApplicable,
        };
        Judged { verdict, status }
    }

    fn emit(self, out: &mut Emitter, resource: &ResourceRef) {
        self.verdict.emit_as(out, resource, self.status);
    }
}

/// [`task_definition_scope`] without reporting: the early verdict is returned.
fn scope(td: &TaskDefinition, reads_containers: bool) -> Result<&[Container], Judged> {
    let mut verdict = Verdict::new();
    if let Evaluation::NotEvaluated(reason) = &td.evaluation {
        verdict.note(reason.clone());
        return Err(Judged::new(verdict, Outcome::NotApplicable));
    }
    if !td.problems.is_empty() {
        for problem in &td.problems {
            verdict.undecided(&td.origin, None, problem.clone());
        }
        verdict.note("ECS would reject this task definition as written");
        return Err(Judged::new(verdict, Outcome::Evaluated));
    }
    if td.containers.undecidable().is_some() {
        if !reads_containers {
            // Task-level controls (ECS.3, ECS.17, ECS.18) still judge their own fields.
            return Ok(&[]);
        }
        verdict.undecidable(&td.containers, None);
        return Err(Judged::new(verdict, Outcome::Evaluated));
    }
    if td.containers.items().is_empty() {
        verdict.note("the task definition has no container definitions");
        return Err(Judged::new(verdict, Outcome::NotApplicable));
    }
    Ok(td.containers.items())
}

/// One control on one task definition, scope included.
fn judge(
    td: &TaskDefinition,
    reads_containers: bool,
    evaluate: &mut impl FnMut(&TaskDefinition, &[Container], &mut Verdict) -> Outcome,
) -> Judged {
    match scope(td, reads_containers) {
        Ok(containers) => {
            let mut verdict = Verdict::new();
            let outcome = evaluate(td, containers, &mut verdict);
            Judged::new(verdict, outcome)
        }
        Err(judged) => judged,
    }
}

/// An INDETERMINATE verdict decided by the task definitions a template can deploy: when every
/// combination of the conditions its `Fn::If`s name gives the same verdict, that is the verdict
/// (a failure is reported at each branch that fails); otherwise `None`.
fn judge_variants(
    td: &TaskDefinition,
    reads_containers: bool,
    evaluate: &mut impl FnMut(&TaskDefinition, &[Container], &mut Verdict) -> Outcome,
) -> Option<Judged> {
    let mut merged: Option<Judged> = None;
    let mut skipped = false;
    for variant in &td.variants {
        // ECS rejects a task definition without containers ("Container list cannot be empty"),
        // so a combination whose Fn::Ifs remove them all cannot be deployed.
        let containers = &variant.task_definition.containers;
        if matches!(&containers.value, Value::Known(items) if items.is_empty()) {
            skipped = true;
            continue;
        }
        let judged = judge(&variant.task_definition, reads_containers, evaluate);
        if judged.status == ControlStatus::Indeterminate {
            return None;
        }
        match &mut merged {
            None => merged = Some(judged),
            Some(first) if first.status != judged.status => return None,
            Some(first) => {
                for (offender, origin) in judged.verdict.failed {
                    if !first.verdict.failed.iter().any(|(o, _)| o == &offender) {
                        first.verdict.failed.push((offender, origin));
                    }
                }
                for note in judged.verdict.notes {
                    first.verdict.note(note);
                }
                first.verdict.parity_unverified |= judged.verdict.parity_unverified;
            }
        }
    }
    let mut merged = merged?;
    let conditions: Vec<&str> = td.variants[0]
        .assumed
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    merged.verdict.note(format!(
        "decided on every combination of the conditions its Fn::If names ({}): the verdict does \
         not depend on them",
        conditions.join(", ")
    ));
    if skipped {
        merged.verdict.note(
            "combinations that leave no container definition are not counted: ECS rejects them",
        );
    }
    Some(merged)
}

/// Every evaluated task definition, with its containers, for the controls that read them.
pub fn each_task_definition(
    inventory: &crate::model::ecs::EcsInventory,
    out: &mut Emitter,
    evaluate: impl FnMut(&TaskDefinition, &[Container], &mut Verdict) -> Outcome,
) {
    each_in_scope(inventory, out, true, evaluate);
}

/// Every evaluated task definition, for controls that read only task-level fields: unknown
/// containers do not stop them.
pub fn each_task_definition_level(
    inventory: &crate::model::ecs::EcsInventory,
    out: &mut Emitter,
    evaluate: impl FnMut(&TaskDefinition, &[Container], &mut Verdict) -> Outcome,
) {
    each_in_scope(inventory, out, false, evaluate);
}

fn each_in_scope(
    inventory: &crate::model::ecs::EcsInventory,
    out: &mut Emitter,
    reads_containers: bool,
    mut evaluate: impl FnMut(&TaskDefinition, &[Container], &mut Verdict) -> Outcome,
) {
    for td in &inventory.task_definitions {
        let mut judged = judge(td, reads_containers, &mut evaluate);
        if judged.status == ControlStatus::Indeterminate
            && let Some(decided) = judge_variants(td, reads_containers, &mut evaluate)
        {
            judged = decided;
        }
        judged.emit(out, &td.resource);
    }
}

/// How a control's evaluation of one resource ended.
pub enum Outcome {
    Evaluated,
    NotApplicable,
}

/// ECS.13/14/15 (reference §1.3): the user tags (keys not starting with `aws:`) must include every
/// `--required-tags` key, or with none given, exist at all. Case-sensitive keys.
pub fn evaluate_tags(tags: &List<Tag>, required: &[String], verdict: &mut Verdict) {
    if verdict.undecidable(tags, None) {
        return;
    }
    let mut keys: Vec<&str> = Vec::new();
    let mut unknown = false;
    for tag in tags.items() {
        match &tag.key.value {
            Value::Known(key) if key.starts_with("aws:") => {}
            Value::Known(key) => keys.push(key),
            Value::Absent => {}
            _ => {
                unknown = true;
                verdict.undecidable(&tag.key, None);
            }
        }
    }
    if required.is_empty() {
        if keys.is_empty() && !unknown {
            verdict.fail(
                &tags.origin,
                None,
                "the resource has no tag keys (system tags starting with aws: are ignored)",
            );
        }
    } else {
        let missing: Vec<&str> = required
            .iter()
            .map(String::as_str)
            .filter(|r| !keys.contains(r))
            .collect();
        if !missing.is_empty() && !unknown {
            verdict.fail(
                &tags.origin,
                None,
                format!("required tag keys missing: {}", missing.join(", ")),
            );
        }
    }
}

/// ECS.2/ECS.16: `assignPublicIp` ENABLED fails; absent is the API default DISABLED.
pub fn evaluate_public_ip(assign_public_ip: &Field<String>, verdict: &mut Verdict) {
    if verdict.undecidable(assign_public_ip, None) {
        return;
    }
    if assign_public_ip.as_str() == Some("ENABLED") {
        verdict.fail(
            &assign_public_ip.origin,
            None,
            "assignPublicIp is ENABLED: tasks get a public IP address",
        );
    }
}
