//! EX002 open-security-group: an ingress rule open to the whole internet on a port other than
//! 80/443, or on any port when the group is attached to an ECS service with a public IP.

use crate::checks::Emitter;
use crate::join::Joined;
use crate::model::ecs::Value;

crate::declare_check! {
    /// ## What it does
    /// Reports each ingress rule (inline in an `AWS::EC2::SecurityGroup` / `aws_security_group`,
    /// or its own `AWS::EC2::SecurityGroupIngress`, `aws_security_group_rule`,
    /// `aws_vpc_security_group_ingress_rule`) that allows `0.0.0.0/0` or `::/0` on a port other
    /// than 80 or 443, and on any port when the group is attached to an ECS service whose tasks
    /// get a public IP (`assignPublicIp: ENABLED`): such a task is the web server itself, with no
    /// load balancer in front. One finding per rule, at the rule, whether or not a service uses
    /// the group. A rule whose CIDR cannot be resolved is not reported here; the service's EX001
    /// finding lists `open-security-group` as unknown.
    ///
    /// ## Why is this bad?
    /// Anything listening on that port is reachable by every scanner on the internet: SSH, a
    /// database, an admin port, a debug endpoint. This is one of the traits of EX001.
    ///
    /// ## Example
    /// `SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}]`.
    /// Fix: allow the port from the load balancer's security group
    /// (`SourceSecurityGroupId: !Ref LoadBalancerSG`) or a known CIDR, or remove the rule.
    OpenSecurityGroup {
        id: "EX002",
        name: "open-security-group",
        severity: High,
        target: Exposure,
        reads: Joined,
        references: {
            security_hub: ["EC2.18", "EC2.19"],
            nist: ["AC-4", "SC-7"],
            checkov: ["CKV_AWS_24 (port 22)", "CKV_AWS_25 (port 3389)", "CKV_AWS_260 (port 80)"],
            trivy: ["AVD-AWS-0107"],
        },
        run: check,
    }
}

fn check(joined: &Joined, out: &mut Emitter) {
    let Some(ecs) = joined.ecs else {
        return;
    };
    let stack = &ecs.stack;
    for group in &stack.security_groups {
        let public_service = joined.exposures.iter().find(|e| {
            e.public_ip
                && e.security_groups
                    .iter()
                    .any(|(file, id)| *file == group.at.resource.file && *id == group.at.id)
        });
        for rule in stack.rules_of(group) {
            if !rule.open_to_internet() {
                continue;
            }
            let reason = if rule.beyond_web_ports() {
                "a port other than 80/443".to_string()
            } else if let Some(service) = public_service {
                format!("service {} gives its tasks a public IP", service.service_id)
            } else {
                continue;
            };
            let cidr = rule
                .cidrs
                .iter()
                .find_map(|c| match c {
                    Value::Known(c) if c == "0.0.0.0/0" || c == "::/0" => Some(c.as_str()),
                    _ => None,
                })
                .unwrap_or_default();
            let finding = out
                .finding(
                    format!(
                        "security group {} allows port {} from {cidr} ({reason})",
                        group.at.id,
                        rule.ports()
                    ),
                    rule.origin.location(&rule.at.resource),
                )
                .with_evidence("security_group", group.at.id.clone())
                .with_evidence("ports", rule.ports())
                .with_evidence("cidr", cidr);
            if let Some(service) = public_service {
                finding.with_evidence("public_ip_service", service.service_id.clone());
                finding.with_related(
                    service
                        .service
                        .assign_public_ip
                        .origin
                        .location(&service.service.resource),
                );
            }
        }
    }
}
