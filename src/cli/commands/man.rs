//! `devtrack man`: the manual page, devtrack(1), as roff on stdout.
//!
//! One page documents everything, so packages install a single file: the
//! command line comes from the clap definitions (clap_mangen renders the
//! synopsis, descriptions and options of the program and of every
//! subcommand, so the page cannot drift from the parser); the exit
//! statuses come from `crate::exit::ALL`; the configuration section
//! embeds the commented starter config, which explains every key and is
//! itself checked to parse. Files and environment variables are listed
//! here, and a test checks that every `DEVTRACK_*` variable the sources
//! read is among them.

use std::io::Write;

use clap::CommandFactory;
use clap_mangen::Man;
use roff::{bold, italic, roman, Roff};

use crate::cli::args::Cli;
use crate::cli::{out, CliError};
use crate::exit::Status;

/// The preamble every clap_mangen / roff render starts with; kept once.
const APOSTROPHE_PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// Files devtrack reads, writes or installs: (path, what it is).
const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/devtrack/config.yaml",
        "The config file (default ~/.config/devtrack/config.yaml).",
    ),
    (
        "~/.devtrack/config.yaml",
        "The older DevTrack's config location, read when the file above does not exist.",
    ),
    (
        "$XDG_DATA_HOME/devtrack/devtrack.db",
        "The SQLite log of triggers, commits and updates (default ~/.local/share/devtrack/).",
    ),
    (
        "$XDG_DATA_HOME/devtrack/devtrack.lock",
        "The instance lock: one daemon per database, whatever the environment. It names \
         the daemon's socket, so a shell whose socket path differs still reaches it.",
    ),
    (
        "$XDG_RUNTIME_DIR/devtrack/control.sock",
        "The control socket: the other commands and any tool send requests and follow \
         events there, one JSON object per line.",
    ),
    (
        "$XDG_RUNTIME_DIR/devtrack/devtrack.lock",
        "Keeps daemons with different data directories off one socket. Without \
         XDG_RUNTIME_DIR the socket and this lock are in $TMPDIR/devtrack-UID/.",
    ),
    (
        "$XDG_CONFIG_HOME/systemd/user/devtrack.service",
        "The systemd user unit written by install-service.",
    ),
    (
        "/usr/lib/systemd/user/devtrack.service",
        "The user unit shipped by the Debian package, enabled for every user with a uid of \
         1000 or more; install-service enables it instead of writing a copy.",
    ),
    (
        "~/Library/LaunchAgents/dev.devtrack.plist",
        "The launchd agent on macOS (the same label as the Homebrew service).",
    ),
    (
        "~/Library/Logs/devtrack/devtrack.err.log",
        "The agent's standard error on macOS; its log goes to os_log.",
    ),
    (
        "/usr/share/doc/devtrack/examples/config.yaml",
        "The commented starter config, as devtrack config init writes it.",
    ),
];

/// Environment variables devtrack reads: (name, meaning).
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "DEVTRACK_CONFIG",
        "The config file to use, as --config (which takes precedence).",
    ),
    (
        "XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_RUNTIME_DIR, TMPDIR, HOME",
        "Where the config, the data and the runtime files are (see FILES).",
    ),
    (
        "NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID",
        "Set by systemd for a Type=notify unit: devtrack reports readiness, status and \
         reloads there and sends watchdog keep-alives. Without them (a terminal, launchd, \
         a Type=simple unit such as Homebrew's) it runs the same without notifying.",
    ),
    (
        "DBUS_SYSTEM_BUS_ADDRESS, DBUS_SESSION_BUS_ADDRESS",
        "The system bus, where logind says whether the screen is locked or the session \
         idle (default /var/run/dbus/system_bus_socket), and the session bus of the \
         notifications and the screen saver (default $XDG_RUNTIME_DIR/bus). While the \
         person is away, prompts are held (prompts.when_away).",
    ),
    (
        "DEVTRACK_IOREG",
        "The ioreg binary asked on macOS for the screen lock and the idle time while a \
         prompt is held (default /usr/sbin/ioreg).",
    ),
    (
        "JOURNAL_STREAM",
        "Set by systemd when standard error is the journal: devtrack then logs with the \
         native journal protocol (priorities and fields) instead of plain lines.",
    ),
    (
        "CREDENTIALS_DIRECTORY",
        "Set by systemd's LoadCredential=: the files devtrack-github, devtrack-jira and \
         devtrack-azure there are the first place a token for posting updates is read \
         from (see devtrack sync).",
    ),
    (
        "DEVTRACK_GITHUB_TOKEN, GH_TOKEN, GITHUB_TOKEN",
        "The GitHub token, in this order, after the credentials directory; then \
         integrations.github.token_command, then gh auth token.",
    ),
    (
        "DEVTRACK_JIRA_TOKEN, JIRA_API_TOKEN",
        "The Jira API token (Cloud) or personal access token (Data Center), after the \
         credentials directory; then integrations.jira.token_command.",
    ),
    (
        "DEVTRACK_AZURE_TOKEN, AZURE_DEVOPS_EXT_PAT",
        "The Azure DevOps personal access token, after the credentials directory; then \
         integrations.azure_devops.token_command.",
    ),
    (
        "HTTPS_PROXY, NO_PROXY",
        "The proxy the posting of updates goes through, and the hosts that bypass it.",
    ),
    (
        "DEVTRACK_TEST_SYNC_FAST",
        "For devtrack's own test suite only: every wait of the sender is this many times \
         shorter. Not a setting.",
    ),
    (
        "DEVTRACK_SERVICE_BACKEND",
        "systemd or launchd: the service manager the service commands drive, instead of \
         the platform's own.",
    ),
    (
        "DEVTRACK_SYSTEMCTL, DEVTRACK_JOURNALCTL, DEVTRACK_LOGINCTL",
        "The systemctl, journalctl and loginctl binaries to run (default: from PATH).",
    ),
    (
        "DEVTRACK_LAUNCHCTL, DEVTRACK_LOG",
        "The launchctl and log binaries to run on macOS (default /bin/launchctl, \
         /usr/bin/log).",
    ),
    (
        "DEVTRACK_LAUNCHD_HOME, DEVTRACK_UID",
        "The home directory holding Library/LaunchAgents and the uid naming the gui/UID \
         launchd domain (default: HOME and the real uid).",
    ),
    (
        "PATH, USER",
        "Where install-service looks for a stable devtrack binary; the login name for \
         loginctl.",
    ),
    (
        "DEVTRACK_PROMPT_ID, DEVTRACK_TRIGGER_KIND, DEVTRACK_REPOS",
        "Not read but set: the prompts.on_trigger hook gets the prompt's id, its latest \
         trigger's kind and its repositories (one per line) in these, on top of the \
         daemon's own environment.",
    ),
];

/// Renders the whole page.
pub(crate) fn render() -> String {
    let mut cmd = Cli::command();
    cmd.build();
    let mut page = String::from(APOSTROPHE_PREAMBLE);
    let man = Man::new(cmd.clone())
        .title("DEVTRACK")
        .manual("User Commands");
    page.push_str(&mangen(|w| man.render_title(w), false));
    page.push_str(&mangen(|w| man.render_name_section(w), false));
    page.push_str(&mangen(|w| man.render_synopsis_section(w), false));
    page.push_str(&mangen(|w| man.render_description_section(w), false));
    page.push_str(&mangen(|w| man.render_options_section(w), false));
    page.push_str(".SH COMMANDS\n");
    for sub in visible_subcommands(&cmd) {
        render_command(&mut page, sub);
    }
    page.push_str(&rest_of_page().to_roff());
    page
}

fn visible_subcommands(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
}

/// One command under COMMANDS: its synopsis as a subheading, its
/// description and options; a command family (`config`) lists its members.
fn render_command(page: &mut String, cmd: &clap::Command) {
    // `--config` and `--help` are the program's options, shown once above.
    let cmd = cmd
        .clone()
        .mut_arg("config", |a| a.hide(true))
        .mut_arg("help", |a| a.hide(true));
    let man = Man::new(cmd.clone());
    let synopsis = mangen(|w| man.render_synopsis_section(w), true);
    page.push_str(".SS\n");
    page.push_str(&synopsis);
    page.push_str(&mangen(|w| man.render_description_section(w), true));
    let has_options = cmd.get_arguments().any(|a| !a.is_hide_set());
    if has_options {
        page.push_str(".RS\n");
        page.push_str(&mangen(|w| man.render_options_section(w), true));
        page.push_str(".RE\n");
    }
    for sub in visible_subcommands(&cmd) {
        render_command(page, sub);
    }
}

/// Runs one clap_mangen section renderer and returns its roff without the
/// preamble and, when `drop_heading`, without its `.SH` line, so sections
/// can be nested and reordered.
fn mangen(render: impl Fn(&mut dyn Write) -> std::io::Result<()>, drop_heading: bool) -> String {
    let mut out = Vec::new();
    render(&mut out).expect("writing to a Vec cannot fail");
    let text = String::from_utf8(out).expect("clap_mangen writes UTF-8");
    let text = text.strip_prefix(APOSTROPHE_PREAMBLE).unwrap_or(&text);
    if !drop_heading {
        return text.to_string();
    }
    text.lines()
        .filter(|line| !line.starts_with(".SH "))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// EXIT STATUS, CONFIGURATION, FILES, ENVIRONMENT and SEE ALSO.
fn rest_of_page() -> Roff {
    let mut r = Roff::new();
    r.control("SH", ["EXIT STATUS"]);
    for status in crate::exit::ALL {
        r.control("TP", []);
        r.text([bold(status.code().to_string())]);
        r.text([roman(capitalized(status.meaning()))]);
    }
    r.control("SH", ["CONFIGURATION"]);
    r.text([
        roman("The config file is "),
        bold("--config"),
        roman(" PATH, else "),
        bold("DEVTRACK_CONFIG"),
        roman(", else "),
        italic("$XDG_CONFIG_HOME/devtrack/config.yaml"),
        roman(", else the older "),
        italic("~/.devtrack/config.yaml"),
        roman(
            ". Without a file devtrack prompts every 180 minutes, without a work-hours \
             limit, in the machine's timezone, and watches the git repository of its \
             working directory. A config written for the older DevTrack loads unchanged. \
             A config is one YAML document of at most 1 MiB in UTF-8, and a key may appear \
             only once in each map. Errors name the file, the key and the line; an invalid \
             config at start exits with status 78, and on a reload the old config stays in \
             force.",
        ),
    ]);
    r.control("PP", []);
    r.text([
        roman("Every key is optional. This is the commented starter config that "),
        bold("devtrack config init"),
        roman(" writes, with the defaults:"),
    ]);
    r.control("PP", []);
    r.control("RS", ["4"]);
    r.control("nf", []);
    for line in crate::config::starter().lines() {
        r.text([roman(line)]);
    }
    r.control("fi", []);
    r.control("RE", []);
    r.control("SH", ["FILES"]);
    for (path, what) in FILES {
        r.control("TP", []);
        r.text([italic(*path)]);
        r.text([roman(*what)]);
    }
    r.control("SH", ["ENVIRONMENT"]);
    for (name, what) in ENVIRONMENT {
        r.control("TP", []);
        r.text([bold(*name)]);
        r.text([roman(*what)]);
    }
    r.control("SH", ["SEE ALSO"]);
    r.text([roman(
        "systemctl(1), journalctl(1), systemd.service(5), systemd.unit(5), launchctl(1), \
         git(1)",
    )]);
    r
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// Prints the page.
pub(crate) fn run() -> Result<Status, CliError> {
    out::print(&render())?;
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_visible_command_has_a_subheading() {
        let page = render();
        let mut cmd = Cli::command();
        cmd.build();
        let mut names = Vec::new();
        for sub in visible_subcommands(&cmd) {
            names.push(sub.get_bin_name().unwrap().to_string());
            for nested in visible_subcommands(sub) {
                names.push(nested.get_bin_name().unwrap().to_string());
            }
        }
        assert!(names.len() > 15, "{names:?}");
        for name in names {
            let roff_name = format!("\\fB{}\\fR", name.replace('-', "\\-"));
            assert!(
                page.lines()
                    .any(|l| l.starts_with(&roff_name) || l.starts_with(&format!("\\fB{name}"))),
                "no synopsis line for `{name}` in the man page"
            );
        }
        assert!(page.contains("install\\-service"));
        assert!(page.contains("\\-\\-dry\\-run"));
    }

    #[test]
    fn exit_statuses_config_keys_files_and_environment_are_documented() {
        let page = render();
        for status in crate::exit::ALL {
            let code = status.code();
            assert!(page.contains(&format!(".TP\n\\fB{code}\\fR\n")), "{code}");
        }
        // The starter config explains every key (config's own tests check
        // that); it is embedded line by line.
        for line in crate::config::starter().lines() {
            let escaped = Roff::from(roman(line)).to_roff();
            assert!(page.contains(&escaped), "starter line missing: {line}");
        }
        for section in [
            "EXIT STATUS",
            "CONFIGURATION",
            "FILES",
            "ENVIRONMENT",
            "COMMANDS",
        ] {
            let heading = if section.contains(' ') {
                format!(".SH \"{section}\"\n")
            } else {
                format!(".SH {section}\n")
            };
            assert!(page.contains(&heading), "{section}");
        }
        assert_eq!(page.matches(APOSTROPHE_PREAMBLE).count(), 1);
    }

    /// groff reads bytes, not UTF-8: any other character in a help text
    /// (an ellipsis, a middle dot) is an "invalid input character" warning
    /// when the package's man page is rendered.
    #[test]
    fn the_page_is_ascii() {
        let page = render();
        for (n, line) in page.lines().enumerate() {
            assert!(line.is_ascii(), "man page line {}: {line}", n + 1);
        }
    }

    /// Every `DEVTRACK_*` variable the sources read is listed under
    /// ENVIRONMENT, so a new one cannot go undocumented.
    #[test]
    fn every_devtrack_environment_variable_is_listed() {
        let documented: String = ENVIRONMENT
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(" ");
        let mut used = std::collections::BTreeSet::new();
        for path in crate::source_files::rust_files(&crate::source_files::src_dir()) {
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, _) in text.match_indices("\"DEVTRACK_") {
                let name: String = text[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                    .collect();
                if name.len() > "DEVTRACK_".len() && text[i + 1 + name.len()..].starts_with('"') {
                    used.insert(name);
                }
            }
        }
        assert!(used.contains("DEVTRACK_CONFIG"), "{used:?}");
        for name in used {
            assert!(
                documented.split([' ', ',']).any(|d| d == name),
                "`{name}` is read by the sources but not listed under ENVIRONMENT"
            );
        }
    }
}
