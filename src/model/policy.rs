//! What applying the user's policy found about the policy itself (unused, expired and unknown
//! ignores): plain data the policy stage produces and the HD checks read.

use crate::dates::Date;
use crate::findings::Location;

/// One ignore, override or pragma the HD checks report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreNotice {
    /// Where it is written: the config file and line, or the Dockerfile line of the pragma.
    pub location: Location,
    /// How it reads: `[[ignore]] id = "IM003" path = "/usr/bin/passwd"`, `# harden ignore=DF001`.
    pub ignore: String,
    /// The check ID or name it names.
    pub id: String,
    pub reason: Option<String>,
    pub expires: Option<Date>,
}

/// What applying the policy found about the policy itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreOutcome {
    /// Ignores (config or `# harden` pragmas) that matched no finding.
    pub unused: Vec<IgnoreNotice>,
    /// Config ignores past their `expires` date: they no longer apply.
    pub expired: Vec<IgnoreNotice>,
    /// Ignores, overrides and pragmas naming an ID no check has.
    pub unknown: Vec<IgnoreNotice>,
    /// Comments meant as `# harden` pragmas that do not parse (they suppress nothing).
    pub malformed: Vec<IgnoreNotice>,
    /// How many findings the policy suppressed.
    pub suppressed: usize,
}
