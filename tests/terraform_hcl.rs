//! Terraform configuration files (`.tf`) read directly, as checkov reads them: literal values,
//! `jsonencode`, heredoc JSON and same-file locals are known; `var.*`, other resources'
//! attributes and functions Terraform evaluates are unknown (INDETERMINATE, never PASSED); each
//! finding has the `.tf` line. checkov itself is the oracle on real `.tf` files in
//! tests/real_inputs.rs; these cases pin what checkov does not judge (unknowns, lines, links,
//! hostile files).

use std::path::Path;
use std::process::Command;

fn scan(dir: &Path, name: &str, text: &str) -> (i32, serde_json::Value, String) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    scan_path(&path)
}

fn scan_path(path: &Path) -> (i32, serde_json::Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(["scan", "--task-def"])
        .arg(path)
        .args(["-f", "json", "--fail-on", "never", "--no-progress"])
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn control<'a>(report: &'a serde_json::Value, id: &str, resource: &str) -> &'a serde_json::Value {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id && c["resource"]["name"] == resource)
        .unwrap_or_else(|| panic!("no {id} for {resource}"))
}

fn status(report: &serde_json::Value, id: &str, resource: &str) -> String {
    control(report, id, resource)["status"]
        .as_str()
        .unwrap()
        .to_string()
}

const CONFIGURATION: &str = r#"locals {
  image = "nginx:1.27"
  env   = [{ name = "MODE", value = "prod" }]
}

resource "aws_ecs_task_definition" "web" {
  family       = "web"
  network_mode = var.network_mode
  pid_mode     = "host"
  container_definitions = jsonencode([
    {
      name        = "app"
      image       = local.image
      privileged  = true
      user        = var.user
      environment = concat(local.env, [{ name = "AWS_SECRET_ACCESS_KEY", value = "x" }])
    }
  ])
  volume {
    name = "data"
    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.data.id
      transit_encryption = "DISABLED"
    }
  }
  tags = { team = "web" }
}

resource "aws_security_group" "web" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_ecs_service" "web" {
  task_definition = aws_ecs_task_definition.web.arn
  launch_type     = "FARGATE"
  network_configuration {
    subnets          = [var.subnet]
    security_groups  = [aws_security_group.web.id]
    assign_public_ip = var.public
  }
}
"#;

#[test]
fn a_configuration_is_judged_with_its_lines_and_its_unknowns() {
    let dir = tempfile::tempdir().unwrap();
    let (code, report, stderr) = scan(dir.path(), "main.tf", CONFIGURATION);
    assert_eq!(code, 0, "{stderr}");
    let td = "aws_ecs_task_definition.web";
    // Known values decide: literals, jsonencode, locals, concat of them, nested blocks.
    assert_eq!(status(&report, "ECS.3", td), "failed");
    assert_eq!(status(&report, "ECS.4", td), "failed");
    assert_eq!(status(&report, "ECS.8", td), "failed");
    assert_eq!(status(&report, "ECS.18", td), "failed");
    assert_eq!(status(&report, "ECS.15", td), "passed");
    // var.* is known only when Terraform runs: never PASSED.
    assert_eq!(status(&report, "ECS.17", td), "indeterminate");
    assert_eq!(status(&report, "ECS.20", td), "indeterminate");
    let user = &control(&report, "ECS.20", td)["offenders"][0];
    assert!(
        user["message"].as_str().unwrap().contains("var.user"),
        "{user}"
    );
    assert_eq!(
        status(&report, "ECS.2", "aws_ecs_service.web"),
        "indeterminate"
    );
    // Each finding points at its line in the .tf file.
    let line_of = |needle: &str| {
        CONFIGURATION
            .lines()
            .position(|l| l.contains(needle))
            .unwrap()
            + 1
    };
    let findings = report["findings"].as_array().unwrap();
    let line = |rule: &str| {
        findings
            .iter()
            .find(|f| f["id"] == rule)
            .unwrap_or_else(|| panic!("no {rule} finding"))["location"]["lines"]["start"]
            .as_u64()
            .unwrap() as usize
    };
    assert_eq!(line("ECS.4"), line_of("privileged  = true"));
    assert_eq!(line("ECS.3"), line_of("pid_mode"));
    assert_eq!(line("ECS.18"), line_of("transit_encryption"));
    // The service's security group is linked by its reference: port 22 open to the world.
    let open = findings
        .iter()
        .find(|f| f["id"] == "EX002")
        .expect("EX002 from the linked security group");
    assert!(
        open["message"].as_str().unwrap().contains("port 22"),
        "{open}"
    );
}

#[test]
fn conditionals_functions_and_files_are_known_only_when_terraform_decides() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"resource "aws_ecs_task_definition" "same" {
  family                = "a"
  network_mode          = var.fargate ? "awsvpc" : "awsvpc"
  container_definitions = jsonencode([{ name = "a", image = "b", privileged = true ? false : true }])
}
resource "aws_ecs_task_definition" "differ" {
  family                = "b"
  network_mode          = var.fargate ? "awsvpc" : "host"
  container_definitions = file("${path.module}/task.json")
}
"#;
    std::fs::write(
        dir.path().join("task.json"),
        r#"[{"name":"a","image":"b","privileged":true}]"#,
    )
    .unwrap();
    let (code, report, stderr) = scan(dir.path(), "cond.tf", text);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        status(&report, "ECS.17", "aws_ecs_task_definition.same"),
        "passed"
    );
    assert_eq!(
        status(&report, "ECS.4", "aws_ecs_task_definition.same"),
        "passed"
    );
    assert_eq!(
        status(&report, "ECS.17", "aws_ecs_task_definition.differ"),
        "indeterminate"
    );
    // file() is not read, even beside the configuration: harden opens only what it is given.
    let privileged = control(&report, "ECS.4", "aws_ecs_task_definition.differ");
    assert_eq!(privileged["status"], "indeterminate");
    assert!(
        privileged
            .to_string()
            .contains("opens only the files it is given"),
        "{privileged}"
    );
}

#[test]
fn a_directory_of_tf_files_is_read_and_modules_are_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), CONFIGURATION).unwrap();
    std::fs::write(
        dir.path().join("modules.tf"),
        "module \"ecs\" {\n  source = \"terraform-aws-modules/ecs/aws\"\n}\n",
    )
    .unwrap();
    // Alone, a file with only module calls is an error naming them.
    let (code, _, stderr) = scan_path(&dir.path().join("modules.tf"));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("modules.tf") && stderr.contains("(ecs)"),
        "{stderr}"
    );
    std::fs::remove_file(dir.path().join("modules.tf")).unwrap();
    let (code, report, stderr) = scan_path(dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        status(&report, "ECS.4", "aws_ecs_task_definition.web"),
        "failed"
    );
}

#[test]
fn hostile_configurations_end_with_a_clear_error_or_unknowns() {
    let dir = tempfile::tempdir().unwrap();
    // A syntax error names the file, line and column.
    let (code, _, stderr) = scan(
        dir.path(),
        "bad.tf",
        "resource \"aws_ecs_cluster\" \"c\" {\n  name = \n}\n",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("bad.tf:2:10: invalid HCL"), "{stderr}");
    // Parentheses nest the parser too: bounded by nesting-depth before it runs.
    let deep = format!(
        "locals {{\n  a = {}1{}\n}}\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let (code, _, stderr) = scan(dir.path(), "deep.tf", &deep);
    assert_eq!(code, 2);
    assert!(stderr.contains("nesting-depth"), "{stderr}");
    // Locals doubling 30 times would be 2^30 values: stopped by yaml-values.
    let mut bomb = String::from("locals {\n  a0 = \"x\"\n");
    for i in 1..=30 {
        bomb.push_str(&format!("  a{i} = [local.a{}, local.a{}]\n", i - 1, i - 1));
    }
    bomb.push_str("}\nresource \"aws_ecs_task_definition\" \"x\" {\n  family = \"a\"\n  container_definitions = jsonencode([{ name = \"a\", image = \"b\", command = local.a30 }])\n}\n");
    let (code, _, stderr) = scan(dir.path(), "bomb.tf", &bomb);
    assert_eq!(code, 2);
    assert!(stderr.contains("yaml-values"), "{stderr}");
    // A local that refers to itself is unknown, not a loop.
    let cycle = "locals {\n  c = [local.c, local.c]\n}\nresource \"aws_ecs_task_definition\" \"x\" {\n  family = \"a\"\n  container_definitions = jsonencode([{ name = \"a\", image = \"b\", user = local.c }])\n}\n";
    let (code, report, stderr) = scan(dir.path(), "cycle.tf", cycle);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        status(&report, "ECS.20", "aws_ecs_task_definition.x"),
        "indeterminate"
    );
}
