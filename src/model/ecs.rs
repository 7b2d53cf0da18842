//! Amazon ECS resources as checks see them: task definitions in the API's camelCase shape whatever
//! format they came from, with JSON-pointer locations, plus services, task sets, clusters and
//! capacity providers. Filled in by the task-definition issue.

/// Every ECS resource read from the `--task-def` inputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EcsInventory {}
