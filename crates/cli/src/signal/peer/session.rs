//! One remote peer: the ICE agent rtw runs with it ([`IceConnection`]),
//! fed from that peer's signaling messages, and the events it prints.
//!
//! A session runs as a task of its own. It answers offers (a new offer
//! with other credentials is an ICE restart, RFC 8445 §9) or makes one,
//! trickles the agent's candidates one by one and then end-of-candidates
//! (RFC 8838 §4, §8.2), adds the peer's trickled candidates, and reports
//! the selected pair, consent loss and failure.

use std::net::SocketAddr;
use std::time::Duration;

use rtw_ice::{Candidate, ConnectionState, Credentials, IceEvent, Random, Role};
use rtw_tokio::OsRandom;
use rtw_tokio::ice::{IceConfig, IceConnection, TurnConfig, random_credentials};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::sdp::{self, Local};
use super::servers::IceServer;
use super::wire::{self, RemoteCandidate, Section, emit};

/// What the main loop hands a session, from its peer's messages.
#[derive(Debug)]
pub(super) enum Input {
    /// Make an offer to the peer (`--offer-to`).
    MakeOffer,
    /// An `offer` from the peer: its SDP.
    Offer(String),
    /// An `answer` from the peer: its SDP.
    Answer(String),
    /// A `candidate` from the peer: its `candidate` field.
    Candidate(Value),
    /// An `end-of-candidates` from the peer.
    EndOfCandidates,
    /// `{"cmd":"stop-answering"}`: drop the agent and its sockets.
    StopAnswering,
    /// `{"cmd":"report"}` from peer `to`: send it the selected pair and
    /// state.
    Report { to: String },
}

/// What every session is built with.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    /// Local addresses to bind a socket (and a host candidate) on.
    pub(super) bind: Vec<SocketAddr>,
    /// The agent's settings (its consent timeout, say).
    pub(super) ice: IceConfig,
    /// STUN and TURN servers to gather candidates from (`--ice-servers`).
    pub(super) servers: Vec<IceServer>,
}

/// The agent of a session and what goes with it.
struct Agent {
    ice: IceConnection,
    events: mpsc::Receiver<IceEvent>,
    /// Candidates gathered from STUN and TURN servers, signalled after
    /// the host ones (again after a restart).
    gathered: Vec<Candidate>,
    /// Gathering from the servers is still under way: end-of-candidates
    /// waits for [`IceEvent::GatheringComplete`].
    gathering: bool,
    /// The peer has been given this agent's candidates (an offer or
    /// answer went out): candidates gathered later are trickled at once.
    signalled: bool,
}

/// One remote peer's session.
pub(super) struct Session {
    remote: String,
    settings: Settings,
    /// Messages for the signaling server.
    out: mpsc::UnboundedSender<Value>,
    agent: Option<Agent>,
    local: Local,
    /// The peer's current ICE credentials.
    remote_credentials: Option<Credentials>,
    /// The section trickled candidates name.
    section: Section,
    /// When the last offer or answer went out: `connected` counts from it.
    started: Option<Instant>,
    /// The agent's state before its latest change: failing from
    /// connected, completed or disconnected is consent lost, from checking
    /// a failure of the checks.
    state: ConnectionState,
}

impl Session {
    pub(super) fn new(
        remote: String,
        settings: Settings,
        out: mpsc::UnboundedSender<Value>,
    ) -> Result<Self, String> {
        let mut random = OsRandom::new().map_err(|e| e.to_string())?;
        let local = Local {
            // Below 2^63 (RFC 8829 §5.2.1).
            session_id: random.u64() >> 1,
            version: 0,
            credentials: random_credentials().map_err(|e| e.to_string())?,
            fingerprint: random.array(),
        };
        Ok(Session {
            remote,
            settings,
            out,
            agent: None,
            local,
            remote_credentials: None,
            section: Section {
                mid: Some("0".into()),
                index: 0,
            },
            started: None,
            state: ConnectionState::New,
        })
    }

    /// Run until the main loop drops the sender.
    pub(super) async fn run(mut self, mut inputs: mpsc::UnboundedReceiver<Input>) {
        loop {
            let event = async {
                match &mut self.agent {
                    Some(agent) => agent.events.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                input = inputs.recv() => match input {
                    Some(input) => self.input(input).await,
                    None => return,
                },
                event = event => match event {
                    Some(event) => self.event(event),
                    // The agent's task ended: nothing more will come.
                    None => self.agent = None,
                },
            }
        }
    }

    async fn input(&mut self, input: Input) {
        let result = match input {
            Input::MakeOffer => self.make_offer().await,
            Input::Offer(sdp) => self.offer(&sdp).await,
            Input::Answer(sdp) => self.answer(&sdp),
            Input::Candidate(value) => self.candidate(&value),
            Input::EndOfCandidates => match &self.agent {
                Some(agent) => agent
                    .ice
                    .end_of_remote_candidates()
                    .map_err(|e| e.to_string()),
                None => Ok(()),
            },
            Input::StopAnswering => {
                // Dropping the connection stops its task and closes its
                // sockets: the peer's checks go unanswered.
                self.agent = None;
                emit("stopped-answering", json!({"peer": self.remote}));
                Ok(())
            }
            Input::Report { to } => {
                let (selected, state) = match &self.agent {
                    Some(agent) => (agent.ice.selected_pair(), Some(agent.ice.state())),
                    None => (None, None),
                };
                self.send(wire::report(&to, selected, state));
                Ok(())
            }
        };
        if let Err(message) = result {
            emit("error", json!({"peer": self.remote, "message": message}));
        }
    }

    /// Bind a new agent with `role`.
    async fn bind(&mut self, role: Role) -> Result<(), String> {
        let mut ice = IceConnection::bind_with(
            &self.settings.bind,
            role,
            self.settings.ice.clone(),
            self.local.credentials.clone(),
        )
        .await
        .map_err(|e| format!("binding the ICE sockets: {e}"))?;
        let events = ice.take_events().ok_or("the agent's events were taken")?;
        let mut gathering = false;
        for base in ice.local_addrs() {
            for server in &self.settings.servers {
                let started = match server {
                    IceServer::Stun(addr) => ice.gather_server_reflexive(base, *addr),
                    IceServer::Turn {
                        addr,
                        username,
                        credential,
                    } => {
                        let config = TurnConfig::new(username.clone(), credential.clone());
                        ice.gather_relayed(base, *addr, config).await
                    }
                };
                // A base and a server of different address families: the
                // agent's gathering fails and is reported as an event.
                gathering |= started.is_ok();
            }
        }
        self.agent = Some(Agent {
            ice,
            events,
            gathered: Vec::new(),
            gathering,
            signalled: false,
        });
        self.state = ConnectionState::New;
        Ok(())
    }

    /// `--offer-to`: bind an agent (controlling, as the offerer is, RFC
    /// 8445 §6.1.1), send the offer, trickle the candidates.
    async fn make_offer(&mut self) -> Result<(), String> {
        self.bind(Role::Controlling).await?;
        self.local.version += 1;
        let offer = sdp::offer(&self.local);
        self.section = Section {
            mid: Some("0".into()),
            index: 0,
        };
        self.send(wire::description("offer", &self.remote, offer.to_string()));
        self.started = Some(Instant::now());
        emit("offer-sent", json!({"peer": self.remote}));
        self.trickle();
        Ok(())
    }

    /// An offer: answer it, with a new agent (controlled), or with the
    /// current one restarted when the offer's credentials changed (RFC
    /// 8445 §9, RFC 8839 §4.4.1.1.1), or unchanged when they did not.
    async fn offer(&mut self, text: &str) -> Result<(), String> {
        let offer = sdp::parse(text).map_err(|e| format!("the offer: {e}"))?;
        let remote = sdp::remote_ice(&offer).map_err(|e| format!("the offer: {e}"))?;
        let restart = match &mut self.agent {
            // An offer to an offer of ours (glare): start again as the
            // answerer.
            Some(_) if self.started.is_some() && self.remote_credentials.is_none() => {
                self.agent = None;
                false
            }
            Some(agent) if self.remote_credentials.as_ref() != Some(&remote.credentials) => {
                let fresh = random_credentials().map_err(|e| e.to_string())?;
                agent
                    .ice
                    .restart(fresh.clone())
                    .map_err(|e| e.to_string())?;
                self.local.credentials = fresh;
                true
            }
            _ => false,
        };
        let renegotiation = self.agent.is_some() && !restart;
        if self.agent.is_none() {
            self.bind(Role::Controlled).await?;
        }
        if restart {
            emit("restart", json!({"peer": self.remote}));
        }
        if !renegotiation {
            self.take_remote(&remote)?;
        }
        self.section = Section {
            mid: remote.mid.clone(),
            index: remote.index,
        };
        self.local.version += 1;
        let answer = sdp::answer(&offer, &self.local);
        self.send(wire::description(
            "answer",
            &self.remote,
            answer.to_string(),
        ));
        emit("answer-sent", json!({"peer": self.remote}));
        if !renegotiation {
            self.started = Some(Instant::now());
            self.trickle();
        }
        Ok(())
    }

    /// The answer to our offer.
    fn answer(&mut self, text: &str) -> Result<(), String> {
        let answer = sdp::parse(text).map_err(|e| format!("the answer: {e}"))?;
        let remote = sdp::remote_ice(&answer).map_err(|e| format!("the answer: {e}"))?;
        if self.agent.is_none() {
            return Err("an answer to no offer".into());
        }
        self.take_remote(&remote)?;
        emit("answer-received", json!({"peer": self.remote}));
        Ok(())
    }

    /// Hand the peer's credentials and the candidates of its description
    /// to the agent.
    fn take_remote(&mut self, remote: &sdp::RemoteIce) -> Result<(), String> {
        let Some(agent) = &self.agent else {
            return Ok(());
        };
        agent
            .ice
            .set_remote_credentials(remote.credentials.clone())
            .map_err(|e| e.to_string())?;
        self.remote_credentials = Some(remote.credentials.clone());
        for line in &remote.candidates {
            self.add_candidate(line);
        }
        if remote.end_of_candidates {
            agent
                .ice
                .end_of_remote_candidates()
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// A trickled candidate from the peer. One gathered for other
    /// credentials (before a restart) is dropped (RFC 8838 §11.4).
    fn candidate(&mut self, value: &Value) -> Result<(), String> {
        let Some(agent) = &self.agent else {
            return Ok(());
        };
        match wire::remote_candidate(value) {
            None => Err("a candidate message without a candidate string".into()),
            Some(RemoteCandidate::End) => agent
                .ice
                .end_of_remote_candidates()
                .map_err(|e| e.to_string()),
            Some(RemoteCandidate::Line { text, ufrag }) => {
                let current = self.remote_credentials.as_ref().map(|c| c.ufrag.as_str());
                if ufrag.is_some() && current.is_some() && ufrag.as_deref() != current {
                    return Ok(());
                }
                self.add_candidate(&text);
                Ok(())
            }
        }
    }

    /// Parse a candidate line and add it; a malformed one is reported.
    fn add_candidate(&self, text: &str) {
        let Some(agent) = &self.agent else {
            return;
        };
        let limits = &self.settings.ice.limits;
        match Candidate::parse_with_limits(text, limits) {
            // An FQDN (an mDNS name) is kept but not paired by the agent;
            // the peer's checks still teach it a peer-reflexive one.
            Ok(c) => {
                if let Err(e) = agent.ice.add_remote_candidate(c) {
                    emit(
                        "error",
                        json!({"peer": self.remote, "message": e.to_string()}),
                    );
                }
            }
            Err(e) => emit(
                "error",
                json!({"peer": self.remote, "message": format!("candidate {text:?}: {e}")}),
            ),
        }
    }

    /// Send the agent's candidates one by one (the host ones, then those
    /// gathered so far), then end-of-candidates unless gathering goes on.
    fn trickle(&mut self) {
        let Some(agent) = &mut self.agent else {
            return;
        };
        agent.signalled = true;
        let ufrag = &self.local.credentials.ufrag;
        let all = agent.ice.local_candidates().iter().chain(&agent.gathered);
        for c in all {
            let _ = self
                .out
                .send(wire::candidate(&self.remote, c, &self.section, ufrag));
        }
        if !agent.gathering {
            let _ = self
                .out
                .send(wire::end_of_candidates(&self.remote, &self.section));
        }
    }

    fn event(&mut self, event: IceEvent) {
        match event {
            IceEvent::SelectedPair {
                source,
                destination,
            } => {
                let ms = self.started.map_or(0, |t| millis(t.elapsed()));
                emit(
                    "connected",
                    json!({
                        "peer": self.remote,
                        "local": source.to_string(),
                        "remote": destination.to_string(),
                        "ms": ms,
                    }),
                );
            }
            IceEvent::StateChanged(ConnectionState::Failed) => {
                let silent = self
                    .agent
                    .as_ref()
                    .and_then(|a| a.ice.last_received())
                    .map(|t| millis(t.elapsed()));
                let was = std::mem::replace(&mut self.state, ConnectionState::Failed);
                let connected = matches!(
                    was,
                    ConnectionState::Connected
                        | ConnectionState::Completed
                        | ConnectionState::Disconnected
                );
                if connected {
                    // Consent freshness (RFC 7675 §5.1): the peer went
                    // silent for the consent timeout.
                    emit("consent-lost", json!({"peer": self.remote, "ms": silent}));
                } else {
                    emit("failed", json!({"peer": self.remote}));
                }
            }
            IceEvent::StateChanged(ConnectionState::Disconnected) => {
                self.state = ConnectionState::Disconnected;
                emit("disconnected", json!({"peer": self.remote}));
            }
            IceEvent::StateChanged(state) => self.state = state,
            IceEvent::LocalCandidate(c) => {
                emit(
                    "local-candidate",
                    json!({"peer": self.remote, "type": c.kind.as_str(), "candidate": c.to_json_candidate()}),
                );
                let Some(agent) = &mut self.agent else {
                    return;
                };
                if agent.signalled {
                    let ufrag = &self.local.credentials.ufrag;
                    let _ = self
                        .out
                        .send(wire::candidate(&self.remote, &c, &self.section, ufrag));
                }
                agent.gathered.push(c);
            }
            IceEvent::GatheringComplete => {
                let Some(agent) = &mut self.agent else {
                    return;
                };
                if agent.gathering && agent.signalled {
                    let _ = self
                        .out
                        .send(wire::end_of_candidates(&self.remote, &self.section));
                }
                agent.gathering = false;
            }
            IceEvent::RelayFailed { server, error } => emit(
                "relay-failed",
                json!({"peer": self.remote, "server": server.to_string(), "message": error.to_string()}),
            ),
            _ => {}
        }
    }

    fn send(&self, message: Value) {
        // The main loop is gone only when the peer is exiting.
        let _ = self.out.send(message);
    }
}

/// Whole milliseconds, saturating.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
