//! Exposure (issue 14): for each stack under `fixtures/exposure/`, the EX001 finding's trait set,
//! unknown traits and severity, stated here by hand from what the stack says; and the EX002 /
//! EX003 findings per stack. The snapshots in `tests/fixtures.rs` show the whole findings.

use harden::findings::{Finding, Severity};

fn findings(path: &str) -> Vec<Finding> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let inventory = harden::load::ecs::load_text_inventory(path, &text)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut findings = Vec::new();
    let mut controls = Vec::new();
    harden::scan::run_checks(None, None, Some(&inventory), &mut findings, &mut controls);
    findings
}

fn list(finding: &Finding, key: &str) -> Vec<String> {
    let text = finding
        .evidence
        .get(key)
        .unwrap_or_else(|| panic!("no {key} evidence"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{key} is not a JSON array: {e}"))
}

/// The one EX001 finding of a stack with one service: (traits, unknown traits, severity).
fn exposure(path: &str) -> (Vec<String>, Vec<String>, Severity) {
    let found = findings(path);
    let exposures: Vec<&Finding> = found.iter().filter(|f| f.id == "EX001").collect();
    assert_eq!(exposures.len(), 1, "{path}: {exposures:#?}");
    let finding = exposures[0];
    (
        list(finding, "traits"),
        list(finding, "unknown_traits"),
        finding.severity,
    )
}

const VULNERABILITIES: [&str; 2] = [
    "network-exploitable-vulnerability",
    "software-vulnerability",
];

fn names(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn public_ip_open_ssh_and_admin_task_role_is_critical() {
    let (traits, unknown, severity) =
        exposure("fixtures/exposure/EX001/fail-public-ip-open-ssh-admin-role.yaml");
    assert_eq!(
        traits,
        names(&[
            "public-ip",
            "open-security-group",
            "assumable-iam-role",
            "admin-iam-role"
        ])
    );
    assert_eq!(unknown, names(&VULNERABILITIES));
    assert_eq!(severity, Severity::Critical);
}

#[test]
fn internet_facing_load_balancer_to_privileged_container_is_critical() {
    let (traits, unknown, severity) =
        exposure("fixtures/exposure/EX001/fail-internet-load-balancer-privileged.yaml");
    assert_eq!(
        traits,
        names(&[
            "internet-facing-load-balancer",
            "privileged-container",
            "host-filesystem-access"
        ])
    );
    assert_eq!(unknown, names(&VULNERABILITIES));
    assert_eq!(severity, Severity::Critical);
}

#[test]
fn an_unresolvable_security_group_is_unknown_not_absent() {
    let (traits, unknown, severity) =
        exposure("fixtures/exposure/EX001/fail-unresolved-security-group.yaml");
    assert_eq!(traits, names(&["public-ip"]));
    assert_eq!(
        unknown,
        names(&[
            "open-security-group",
            VULNERABILITIES[0],
            VULNERABILITIES[1]
        ])
    );
    assert_eq!(severity, Severity::Medium);
    let found = findings("fixtures/exposure/EX001/fail-unresolved-security-group.yaml");
    let why =
        &found.iter().find(|f| f.id == "EX001").unwrap().evidence["unknown:open-security-group"];
    assert!(why.contains("Ref SecurityGroup"), "{why}");
}

#[test]
fn real_stack_with_imported_values() {
    // nathanpeck/aws-cloudformation-fargate: security group and listener imported from another
    // stack; the public IP is in the template.
    let (traits, unknown, severity) =
        exposure("fixtures/exposure/EX001/fail-nathanpeck-public-subnet-public-loadbalancer.yml");
    assert_eq!(traits, names(&["public-ip"]));
    assert_eq!(
        unknown,
        names(&[
            "open-security-group",
            "internet-facing-load-balancer",
            VULNERABILITIES[0],
            VULNERABILITIES[1]
        ])
    );
    assert_eq!(severity, Severity::Medium);
}

#[test]
fn terraform_plan_links_through_configuration_references() {
    let (traits, unknown, severity) =
        exposure("fixtures/exposure/EX001/fail-terraform-plan-unknown-ids.json");
    assert_eq!(
        traits,
        names(&[
            "public-ip",
            "open-security-group",
            "cleartext-credentials",
            "assumable-iam-role",
            "admin-iam-role"
        ])
    );
    assert_eq!(unknown, names(&VULNERABILITIES));
    assert_eq!(severity, Severity::Critical);
}

#[test]
fn a_service_without_traits_is_not_reported() {
    let found = findings("fixtures/exposure/EX001/pass-private-service.yaml");
    assert!(found.iter().all(|f| f.id != "EX001"), "{found:#?}");
}

#[test]
fn open_security_group_rules() {
    let ssh = findings("fixtures/exposure/EX002/fail-ssh-open.yaml");
    let ssh: Vec<_> = ssh.iter().filter(|f| f.id == "EX002").collect();
    assert_eq!(ssh.len(), 1, "{ssh:#?}");
    assert_eq!(ssh[0].evidence["ports"], "22");
    assert_eq!(ssh[0].evidence["cidr"], "::/0");

    let web = findings("fixtures/exposure/EX002/fail-port-80-with-public-ip.yaml");
    let web: Vec<_> = web.iter().filter(|f| f.id == "EX002").collect();
    assert_eq!(web.len(), 1, "{web:#?}");
    assert_eq!(web[0].evidence["public_ip_service"], "Service");

    let pass = findings("fixtures/exposure/EX002/pass-web-ports-behind-load-balancer.yaml");
    assert!(pass.iter().all(|f| f.id != "EX002"), "{pass:#?}");
}

#[test]
fn admin_task_and_execution_roles() {
    let found = findings("fixtures/exposure/EX003/fail-execution-role-star.yaml");
    let mut roles: Vec<&str> = found
        .iter()
        .filter(|f| f.id == "EX003")
        .map(|f| f.evidence["role"].as_str())
        .collect();
    roles.sort();
    assert_eq!(roles, ["ExecutionRole", "TaskRole"]);

    let found = findings("fixtures/exposure/EX003/fail-terraform-policy-document.json");
    let roles: Vec<&str> = found
        .iter()
        .filter(|f| f.id == "EX003")
        .map(|f| f.evidence["role"].as_str())
        .collect();
    assert_eq!(roles, ["aws_iam_role.task"]);

    let pass = findings("fixtures/exposure/EX003/pass-scoped-roles.yaml");
    assert!(pass.iter().all(|f| f.id != "EX003"), "{pass:#?}");
}

/// Hostile templates: conditions that fan out to each other (exponential without memoizing),
/// a condition cycle, and `Fn::If` nested past the depth bound. The service is still reported,
/// with the undecidable trait unknown.
#[test]
fn hostile_conditions_stay_bounded() {
    let mut conditions = serde_json::Map::new();
    // 40^6 evaluations without memoizing.
    for i in 0..6 {
        let next: Vec<serde_json::Value> = (0..40)
            .map(|_| serde_json::json!({"Condition": format!("C{}", i + 1)}))
            .collect();
        conditions.insert(format!("C{i}"), serde_json::json!({"Fn::And": next}));
    }
    conditions.insert(
        "C6".into(),
        serde_json::json!({"Fn::Equals": [{"Ref": "P"}, "yes"]}),
    );
    conditions.insert(
        "Loop".into(),
        serde_json::json!({"Fn::Not": [{"Condition": "Loop"}]}),
    );
    let mut nested = serde_json::json!("ENABLED");
    for _ in 0..40 {
        nested = serde_json::json!({"Fn::If": ["Loop", nested, "DISABLED"]});
    }
    let template = serde_json::json!({
        "Parameters": {"P": {"Type": "String", "Default": "yes"}},
        "Conditions": conditions,
        "Resources": {
            "SG": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                 "CidrIp": {"Fn::If": ["C0", "0.0.0.0/0", "10.0.0.0/8"]}},
                {"IpProtocol": "tcp", "FromPort": 23, "ToPort": 23, "CidrIp": nested}
            ]}},
            "Service": {"Type": "AWS::ECS::Service", "Properties": {
                "TaskDefinition": "app:1",
                "NetworkConfiguration": {"AwsvpcConfiguration": {
                    "AssignPublicIp": "ENABLED", "SecurityGroups": [{"Ref": "SG"}]}}}}
        }
    });
    let path = std::env::temp_dir().join(format!("harden-hostile-{}.json", std::process::id()));
    std::fs::write(&path, template.to_string()).unwrap();
    let found = findings(path.to_str().unwrap());
    std::fs::remove_file(&path).ok();
    let exposure = found
        .iter()
        .find(|f| f.id == "EX001")
        .expect("the service is reported");
    assert_eq!(
        list(exposure, "traits"),
        names(&["public-ip", "open-security-group"]),
        "C0 is decided through 6 levels of 40-way fan-out: port 22 is open"
    );
    // Port 23's CIDR sits under a cycle and past the depth bound: undecided, not open.
    let open = &exposure.evidence["trait:open-security-group"];
    assert!(
        open.contains("port 22") && !open.contains("port 23"),
        "{open}"
    );
}
