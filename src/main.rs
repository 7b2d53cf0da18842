//! The `harden` command line: parse arguments, call the library, map the outcome to an exit code
//! (0 clean, 1 findings at or above `--fail-on`, 2 usage or input error).

mod cli;

fn main() {
    std::process::exit(cli::main());
}
