//! `rtw ice pair`: the check list of a set of candidates.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Instant;

use rtw_ice::{Candidate, CandidateKind, Credentials, IceAgent, IceConfig, Role};
use serde_json::json;

/// `rtw ice pair` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct PairArgs {
    /// A local candidate (`a=candidate:...`, `candidate:...` or the bare
    /// value); repeat for several.
    #[arg(long = "local", required = true)]
    locals: Vec<String>,
    /// A remote candidate; repeat for several.
    #[arg(long = "remote", required = true)]
    remotes: Vec<String>,
    /// This agent's role, which decides the pair priorities (RFC 8445
    /// §6.1.2.3).
    #[arg(long, value_enum, default_value = "controlling")]
    role: RoleArg,
    /// One JSON object per pair instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    Controlling,
    Controlled,
}

/// The base a local candidate is sent from (RFC 8445 §5.1.1).
fn base(c: &Candidate) -> Option<SocketAddr> {
    match c.kind {
        CandidateKind::Host | CandidateKind::Relayed => c.socket_addr(),
        CandidateKind::ServerReflexive | CandidateKind::PeerReflexive => c.related_socket_addr(),
    }
}

fn parse_all(what: &str, texts: &[String]) -> Result<Vec<Candidate>, String> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| Candidate::parse(t).map_err(|e| format!("--{what} #{}: {e}", i + 1)))
        .collect()
}

pub(crate) fn run(args: PairArgs) -> ExitCode {
    let (locals, remotes) = match (
        parse_all("local", &args.locals),
        parse_all("remote", &args.remotes),
    ) {
        (Ok(l), Ok(r)) => (l, r),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("rtw ice pair: {e}");
            return ExitCode::FAILURE;
        }
    };
    let role = match args.role {
        RoleArg::Controlling => Role::Controlling,
        RoleArg::Controlled => Role::Controlled,
    };
    // The agent forms the check list; it sends nothing here.
    let credentials = Credentials {
        ufrag: "rtwcli".into(),
        pwd: "rtwclirtwclirtwclirtwcli".into(),
    };
    let mut agent = IceAgent::new(
        IceConfig::default(),
        role,
        0,
        credentials,
        // No check goes out, so no randomness is needed: a fixed seed.
        Box::new(rtw_ice::SeededRandom::new(0)),
    );
    let now = Instant::now();
    for (i, c) in locals.into_iter().enumerate() {
        let Some(b) = base(&c) else {
            eprintln!(
                "rtw ice pair: --local #{}: no base address (an FQDN, or a reflexive candidate without raddr/rport)",
                i + 1
            );
            return ExitCode::FAILURE;
        };
        agent.add_local_candidate(c, b);
    }
    for (i, c) in remotes.into_iter().enumerate() {
        if let Err(e) = agent.add_remote_candidate(now, c) {
            eprintln!("rtw ice pair: --remote #{}: {e}", i + 1);
            return ExitCode::FAILURE;
        }
    }
    let list = agent.check_list();
    let mut out = std::io::stdout().lock();
    let mut text = String::new();
    if !args.json {
        text.push_str("#  priority              state    foundation  local (base) -> remote\n");
    }
    for (i, p) in list.iter().enumerate() {
        if args.json {
            let v = json!({
                "order": i + 1,
                "priority": p.priority,
                "state": format!("{:?}", p.state),
                "foundation": p.foundation,
                "source": p.source.to_string(),
                "destination": p.destination.to_string(),
                "local": p.local.to_string(),
                "remote": p.remote.to_string(),
            });
            text.push_str(&v.to_string());
        } else {
            text.push_str(&format!(
                "{:<2} {:<21} {:<8} {:<11} {} {} -> {} {}",
                i + 1,
                p.priority,
                format!("{:?}", p.state),
                p.foundation,
                p.local.kind.as_str(),
                p.source,
                p.remote.kind.as_str(),
                p.destination,
            ));
        }
        text.push('\n');
    }
    if list.is_empty() && !args.json {
        text.push_str("(no pairs: no local and remote candidates of the same component, transport and address family)\n");
    }
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rtw ice pair: writing stdout: {e}");
            ExitCode::FAILURE
        }
    }
}
