//! The ICE agent (RFC 8445 §6-§9, RFC 8838, RFC 7675), sans-IO: see
//! [`IceAgent`].

mod checklist;
mod config;
mod incoming;
mod outgoing;
mod relay;
mod state;
mod types;

pub use config::IceConfig;
pub use relay::RelayedData;
pub use types::{CandidatePair, ConnectionState, Credentials, IceEvent, Role};

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rtw_core::{Random, Transmit};
use rtw_stun::{IntegrityKey, TransactionId, Transactions};

use crate::pair::Pair;
use crate::{Candidate, CandidateKind, CandidateTransport, Error};

/// A local candidate and the base it sends from (RFC 8445 §5.1.1).
#[derive(Debug, Clone)]
struct Local {
    candidate: Candidate,
    base: SocketAddr,
}

/// A remote candidate and its address, when it has one (not an FQDN).
#[derive(Debug, Clone)]
struct Remote {
    candidate: Candidate,
    addr: Option<SocketAddr>,
}

/// What a STUN transaction of the agent is for; the agent maps each
/// transaction ID to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// A connectivity check of a pair (RFC 8445 §7.2.4).
    Check(usize),
    /// A Binding request to a STUN server from a base (RFC 8445 §5.1.1.2).
    Gather {
        base: SocketAddr,
        server: SocketAddr,
    },
    /// A consent check of a pair (RFC 7675 §5.1).
    Consent(usize),
}

/// Consent freshness of the selected pair (RFC 7675).
#[derive(Debug, Clone, Copy)]
struct Consent {
    next_check: Instant,
    last_response: Instant,
}

/// The ICE agent (RFC 8445 §6-§9, RFC 8838, RFC 7675), sans-IO.
///
/// The agent owns no socket and no clock. The caller hands in what arrives
/// ([`IceAgent::handle_receive`]) and the time ([`IceAgent::handle_timeout`]),
/// and after every `handle_*` call drains [`IceAgent::poll_transmit`],
/// [`IceAgent::poll_event`] and [`IceAgent::poll_timeout`].
///
/// What it does:
/// - pairs local candidates' bases with remote candidates (RFC 8445
///   §6.1.2), orders them by pair priority, prunes duplicates, keeps at
///   most [`Limits::max_pairs`](crate::Limits::max_pairs), and unfreezes them by foundation;
/// - sends a check every Ta (triggered checks first, RFC 8445 §6.1.4.2),
///   authenticated with the peer's password, and answers the peer's
///   checks, learning peer-reflexive candidates on both sides (§7.2.5.3.1,
///   §7.3.1.3);
/// - resolves role conflicts with the tie-breaker and 487 (§7.3.1.1);
/// - nominates (regular nomination, §8.1.1) when controlling, follows
///   USE-CANDIDATE when controlled;
/// - checks consent on the selected pair (RFC 7675): a check every 5 s ±
///   20 %, Disconnected after [`IceConfig::disconnected_timeout`] without
///   an answer, Failed after 30 s;
/// - gathers server-reflexive candidates from STUN servers and relayed
///   candidates from TURN servers (RFC 8445 §5.1.1.2, RFC 8656; see
///   [`IceAgent::gather_relayed`]), and takes trickled remote candidates at
///   any time (RFC 8838).
///
/// What it keeps for a peer is bounded by [`IceConfig::limits`]: pairs,
/// remote candidates (signalled and peer-reflexive) and local candidates
/// learnt from checks (see [`Limits`](crate::Limits)).
///
/// Limits, by design: one component (WebRTC multiplexes RTP and RTCP,
/// RFC 8829 §5.1.1; candidates of other components are kept but not
/// paired); UDP only (TCP candidates, RFC 6544, are kept but not paired);
/// FQDN candidates such as mDNS `.local` names must be resolved by the
/// caller and added again with their address.
pub struct IceAgent {
    config: IceConfig,
    role: Role,
    tie_breaker: u64,
    local_credentials: Credentials,
    local_key: IntegrityKey,
    remote_credentials: Option<Credentials>,
    remote_key: IntegrityKey,
    remote_lite: bool,
    remote_end_of_candidates: bool,
    random: Box<dyn Random + Send>,
    /// The same source, for TURN clients.
    shared_random: SharedRandom,
    locals: Vec<Local>,
    remotes: Vec<Remote>,
    pairs: Vec<Pair>,
    /// Pairs removed by the pair limit or after nomination; never checked.
    removed: Vec<bool>,
    triggered: VecDeque<usize>,
    transactions: Transactions,
    purposes: BTreeMap<TransactionId, Purpose>,
    /// Checks cancelled by a triggered check whose late answers still
    /// count (RFC 8445 §7.3.1.4): pair, whether it nominated, and when to
    /// stop waiting.
    late: BTreeMap<TransactionId, (usize, bool, Instant)>,
    gathering: usize,
    gathering_reported: bool,
    state: ConnectionState,
    selected: Option<usize>,
    first_valid: Option<Instant>,
    next_check: Option<Instant>,
    consent: Option<Consent>,
    /// An ICE restart is under way: the selected pair is the old one, kept
    /// for data until the new checks select another (RFC 8445 §9).
    restarting: bool,
    /// When something last went out on the selected pair (RFC 8445 §11).
    last_sent_on_selected: Option<Instant>,
    now: Option<Instant>,
    events: VecDeque<IceEvent>,
    transmits: VecDeque<Transmit>,
    /// TURN allocations, one per [`IceAgent::gather_relayed`].
    relays: Vec<relay::Relay>,
    /// Application data that came through a relay, for
    /// [`IceAgent::poll_relayed_data`].
    relayed_data: VecDeque<RelayedData>,
}

impl std::fmt::Debug for IceAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IceAgent")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("locals", &self.locals.len())
            .field("remotes", &self.remotes.len())
            .field("pairs", &self.pairs.len())
            .field("relays", &self.relays)
            .field("selected", &self.selected_pair())
            .finish_non_exhaustive()
    }
}

impl IceAgent {
    /// A new agent with `role`, a random 64-bit `tie_breaker` (RFC 8445
    /// §7.3.1.1), the local `credentials`, and `random`, which fills bytes
    /// for transaction ids and consent jitter (the agent has no random
    /// source of its own): `rtw_tokio::OsRandom` over real sockets,
    /// [`SeededRandom`](crate::SeededRandom) in virtual time.
    pub fn new(
        config: IceConfig,
        role: Role,
        tie_breaker: u64,
        credentials: Credentials,
        random: Box<dyn Random + Send>,
    ) -> Self {
        let local_key = key(&credentials.pwd);
        let shared_random = SharedRandom(Arc::new(Mutex::new(random)));
        IceAgent {
            transactions: Transactions::with_config(config.check_transaction),
            config,
            role,
            tie_breaker,
            local_credentials: credentials,
            local_key,
            remote_credentials: None,
            remote_key: IntegrityKey::new(&[]),
            remote_lite: false,
            remote_end_of_candidates: false,
            random: Box::new(shared_random.clone()),
            shared_random,
            locals: Vec::new(),
            remotes: Vec::new(),
            pairs: Vec::new(),
            removed: Vec::new(),
            triggered: VecDeque::new(),
            purposes: BTreeMap::new(),
            late: BTreeMap::new(),
            gathering: 0,
            gathering_reported: false,
            state: ConnectionState::New,
            selected: None,
            first_valid: None,
            next_check: None,
            consent: None,
            restarting: false,
            last_sent_on_selected: None,
            now: None,
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            relays: Vec::new(),
            relayed_data: VecDeque::new(),
        }
    }

    /// Add a host candidate on local address `addr` for `component`, with
    /// `local_preference` (RFC 8445 §5.1.2.1: 65535 on a single-homed
    /// host; distinct values when multihomed). Returns it, to signal to the
    /// peer.
    pub fn add_host_candidate(
        &mut self,
        addr: SocketAddr,
        component: u16,
        local_preference: u16,
    ) -> Candidate {
        let candidate = Candidate::host(addr, component, local_preference, CandidateTransport::Udp);
        self.add_local(candidate.clone(), addr);
        candidate
    }

    /// Add a local candidate gathered elsewhere with the `base` it is sent
    /// from, and pair it with every remote candidate. Transmits from it
    /// name `base` as their source: for a relayed candidate of a TURN
    /// client of the caller's own (its base is the relayed address, RFC
    /// 8445 §5.1.1.2) the caller relays them; [`IceAgent::gather_relayed`]
    /// does all of that in the agent.
    pub fn add_local_candidate(&mut self, candidate: Candidate, base: SocketAddr) {
        self.add_local(candidate, base);
    }

    /// The check list (RFC 8445 §6.1.2) in priority order, highest first,
    /// without removed pairs: what would be checked, and how far each pair
    /// got.
    pub fn check_list(&self) -> Vec<CandidatePair> {
        let mut list: Vec<CandidatePair> = (0..self.pairs.len())
            .filter(|&i| !self.removed[i])
            .map(|i| {
                let p = &self.pairs[i];
                CandidatePair {
                    local: self.locals[p.local].candidate.clone(),
                    remote: self.remotes[p.remote].candidate.clone(),
                    source: p.source,
                    destination: p.destination,
                    foundation: p.foundation.clone(),
                    priority: p.priority,
                    state: p.state,
                    valid: p.valid,
                    nominated: p.nominated,
                }
            })
            .collect();
        list.sort_by_key(|p| std::cmp::Reverse(p.priority));
        list
    }

    /// Learn at `now` the server-reflexive address of `base` from the STUN
    /// server `server` (RFC 8445 §5.1.1.2). A Binding request goes out
    /// through [`IceAgent::poll_transmit`]; the candidate comes as
    /// [`IceEvent::LocalCandidate`], and [`IceEvent::GatheringComplete`]
    /// once every gathering has ended.
    ///
    /// [`Error::UnknownBase`] if `base` is the base of no local candidate
    /// (add the host candidate first).
    pub fn gather_server_reflexive(
        &mut self,
        now: Instant,
        base: SocketAddr,
        server: SocketAddr,
    ) -> Result<(), Error> {
        if !self.locals.iter().any(|l| l.base == base) {
            return Err(Error::UnknownBase(base));
        }
        self.now = Some(now);
        let request = self.binding_request();
        let tid = request.1;
        let purpose = Purpose::Gather { base, server };
        let config = self.config.gather_transaction;
        let started =
            self.transactions
                .start_with(now, request.0, server, rtw_stun::Transport::Udp, config);
        if started.is_ok() {
            self.purposes.insert(tid, purpose);
            self.gathering += 1;
            self.gathering_reported = false;
        }
        self.drain_transactions(now);
        Ok(())
    }

    /// Gather at `now` a relayed candidate for `base` from the TURN server
    /// `server` (RFC 8445 §5.1.1.2): an [`rtw_turn::client::Client`] with
    /// `config` (the long-term credentials, and optionally the realm and
    /// lifetime) allocates a relayed address over `base`'s socket (RFC 8656
    /// §7). Its datagrams come out of [`IceAgent::poll_transmit`] with
    /// `source: Some(base)`; hand whatever `server` sends to `base` to
    /// [`IceAgent::handle_receive`] as usual.
    ///
    /// The relayed candidate (type preference 0, §5.1.2.2; related address
    /// the XOR-MAPPED-ADDRESS) comes as [`IceEvent::LocalCandidate`], or
    /// [`IceEvent::RelayFailed`] if the allocation fails, and it counts
    /// for [`IceEvent::GatheringComplete`]. From then on:
    /// - pairs of the relayed candidate are checked through the relay:
    ///   a permission (RFC 8656 §9) is asked for each remote candidate's
    ///   IP as it is paired, checks and answers go as Send indications,
    ///   and what peers send to the relayed address comes back through the
    ///   server, STUN to the agent and application data to
    ///   [`IceAgent::poll_relayed_data`];
    /// - when such a pair is selected, a channel is bound to its remote
    ///   (RFC 8656 §12), and [`IceAgent::send_data`] sends over it as
    ///   ChannelData;
    /// - the client refreshes the allocation, its permissions and the
    ///   channel before they expire; [`IceAgent::close`] deletes the
    ///   allocation.
    ///
    /// [`Error::UnknownBase`] if `base` is the base of no local candidate
    /// (add the host candidate first); [`Error::Turn`] if `config` is
    /// invalid (an empty username or password, say).
    pub fn gather_relayed(
        &mut self,
        now: Instant,
        base: SocketAddr,
        server: SocketAddr,
        config: rtw_turn::client::ClientConfig,
    ) -> Result<(), Error> {
        if !self.locals.iter().any(|l| l.base == base) {
            return Err(Error::UnknownBase(base));
        }
        self.now = Some(now);
        // The client draws its transaction ids from the caller's source.
        let random = Box::new(self.shared_random.clone());
        let mut client = rtw_turn::client::Client::new(server, config, random)?;
        client.allocate(now)?;
        self.relays.push(relay::Relay::new(client, base, server));
        self.gathering += 1;
        self.gathering_reported = false;
        let i = self.relays.len() - 1;
        self.relay_events(now, i);
        Ok(())
    }

    /// Queue `data` as one datagram over the selected pair, at `now`: from
    /// its base to its remote address, or, when the selected pair starts
    /// at a relayed candidate, through the TURN relay (ChannelData once
    /// the channel is bound, RFC 8656 §12, a Send indication before). It
    /// comes out of [`IceAgent::poll_transmit`].
    ///
    /// Over a pair that does not start at a relayed candidate the caller
    /// may as well send `data` itself from the base's socket, without the
    /// copy; through a relay it must use this.
    ///
    /// [`Error::NotConnected`] before a pair is selected or once the agent
    /// has failed.
    pub fn send_data(&mut self, now: Instant, data: &[u8]) -> Result<(), Error> {
        self.now = Some(now);
        let (source, destination) = match self.selected_pair() {
            Some(pair) if self.state != ConnectionState::Failed => pair,
            _ => return Err(Error::NotConnected),
        };
        let transmit =
            Transmit::new(destination, bytes::Bytes::copy_from_slice(data)).with_source(source);
        self.push_transmit(transmit);
        Ok(())
    }

    /// The next application datagram that came through a relayed
    /// candidate's allocation, or `None`. Up to 1,024 are kept; later ones
    /// are dropped until the caller reads, as by a full socket buffer.
    ///
    /// Changes after [`IceAgent::handle_receive`] (which returns `true`
    /// for them: they arrive as TURN messages from the server).
    #[must_use]
    pub fn poll_relayed_data(&mut self) -> Option<RelayedData> {
        self.relayed_data.pop_front()
    }

    /// Close at `now`: every TURN allocation is deleted (RFC 8656 §8.1, a
    /// Refresh with LIFETIME 0, retransmitted while
    /// [`IceAgent::poll_timeout`] says), an Allocate still running is
    /// abandoned (the server lets what it made expire), and checks and
    /// consent stop: the agent is [`ConnectionState::Failed`] and sends
    /// nothing more but the deletions.
    pub fn close(&mut self, now: Instant) {
        self.now = Some(now);
        self.release_relays(now);
        if self.state != ConnectionState::Failed {
            self.fail();
        }
    }

    /// The peer's ufrag and pwd, from its description.
    pub fn set_remote_credentials(&mut self, credentials: Credentials) {
        self.remote_key = key(&credentials.pwd);
        self.remote_credentials = Some(credentials);
    }

    /// A remote candidate at `now`, at any time (trickle ICE, RFC 8838
    /// §11): it is paired with every local base of its address family.
    ///
    /// [`Error::TooManyRemoteCandidates`] once
    /// [`Limits::max_remote_candidates`](crate::Limits::max_remote_candidates) are kept (peer-reflexive ones
    /// learnt from checks count; one at the same address is replaced, not
    /// added).
    pub fn add_remote_candidate(
        &mut self,
        now: Instant,
        candidate: Candidate,
    ) -> Result<(), Error> {
        self.now = Some(now);
        let addr = candidate.socket_addr();
        if let Some(addr) = addr {
            // A peer-reflexive candidate learnt from a check is replaced by
            // the signalled one (RFC 8445 §7.3.1.3).
            if let Some(i) = self
                .remotes
                .iter()
                .position(|r| r.addr == Some(addr) && r.candidate.component == candidate.component)
            {
                if self.remotes[i].candidate.kind == CandidateKind::PeerReflexive {
                    self.remotes[i].candidate = candidate;
                    self.reprioritise();
                }
                return Ok(());
            }
        }
        let limit = self.config.limits.max_remote_candidates;
        if self.remotes.len() >= limit {
            return Err(Error::TooManyRemoteCandidates { limit });
        }
        self.remotes.push(Remote { candidate, addr });
        let remote = self.remotes.len() - 1;
        for local in 0..self.locals.len() {
            self.add_pair(local, remote);
        }
        Ok(())
    }

    /// The peer signalled end-of-candidates (RFC 8838 §13): once every
    /// pair has failed, the agent fails.
    pub fn end_of_remote_candidates(&mut self) {
        self.remote_end_of_candidates = true;
        self.update_state();
    }

    /// The peer is ICE lite (`a=ice-lite`): this agent then must be
    /// controlling (RFC 8445 §6.1.1).
    pub fn set_remote_lite(&mut self, lite: bool) {
        self.remote_lite = lite;
        if lite && self.role == Role::Controlled && !self.config.lite {
            self.set_role(Role::Controlling);
        }
    }

    /// A datagram `contents` arrived at local address `destination` from
    /// `source` at `now`. Returns `false` if it is not STUN (media, DTLS),
    /// which the caller then handles itself; STUN messages are consumed,
    /// including malformed or unauthenticated ones, which are dropped or
    /// answered with an error as RFC 8445 §7.3 says. So is everything from
    /// a TURN server the agent allocated on (see
    /// [`IceAgent::gather_relayed`]): application data relayed in it comes
    /// out of [`IceAgent::poll_relayed_data`].
    pub fn handle_receive(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) -> bool {
        self.now = Some(now);
        if self.relay_input(now, source, destination, contents) {
            self.drain_transactions(now);
            self.update_state();
            return true;
        }
        if rtw_stun::demux(contents) != rtw_stun::PacketKind::Stun {
            return false;
        }
        let Ok(message) = rtw_stun::Message::parse(contents) else {
            return true;
        };
        self.handle_stun(now, source, destination, &message);
        self.drain_transactions(now);
        self.update_state();
        true
    }

    /// Time has come to `now`: retransmissions, paced checks, nomination,
    /// consent.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = Some(now);
        self.relay_timeouts(now);
        self.late.retain(|_, (_, _, until)| *until > now);
        self.transactions.handle_timeout(now);
        self.drain_transactions(now);
        // Checks and nomination share the pacing of one check per Ta
        // (RFC 8445 §6.1.4.2); the next slot is kept while there is work,
        // so that an attempt that fails cannot make the agent spin.
        if self.next_check.is_none_or(|t| t <= now) {
            self.next_check = None;
            let sent = self.maybe_nominate(now) || self.send_next_check(now);
            if sent || self.has_check_to_send() || self.nomination_due().is_some() {
                self.next_check = Some(now + self.config.ta);
            }
        }
        self.check_consent(now);
        self.keepalive(now);
        self.drain_transactions(now);
        self.update_state();
    }

    /// The next datagram to send, or `None`: a [`Transmit`] whose
    /// `source` is always `Some(base)`, the local address to send it from.
    ///
    /// Changes after [`IceAgent::handle_receive`] (answers, triggered
    /// checks), [`IceAgent::handle_timeout`] (checks, retransmissions,
    /// consent checks, keepalives) and [`IceAgent::gather_server_reflexive`]
    /// (the Binding request).
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// When [`IceAgent::handle_timeout`] is next due, or `None` when
    /// nothing is scheduled (no time was handed in yet, or the agent
    /// failed and holds no TURN allocation: the refreshes of allocations
    /// go on after a failure, since an ICE restart may use them again,
    /// until [`IceAgent::close`]).
    ///
    /// Changes after [`IceAgent::handle_receive`],
    /// [`IceAgent::handle_timeout`], [`IceAgent::gather_server_reflexive`],
    /// [`IceAgent::add_remote_candidate`], [`IceAgent::add_host_candidate`],
    /// [`IceAgent::add_local_candidate`],
    /// [`IceAgent::set_remote_credentials`],
    /// [`IceAgent::end_of_remote_candidates`],
    /// [`IceAgent::set_remote_lite`] and [`IceAgent::restart`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let now = self.now?;
        let relays = self.relay_timeout();
        if self.state == ConnectionState::Failed {
            return relays;
        }
        let mut due = self.transactions.poll_timeout();
        let mut at = |t: Instant| due = Some(due.map_or(t, |d| d.min(t)));
        let slot = self.next_check.unwrap_or(now).max(now);
        if self.has_check_to_send() {
            at(slot);
        }
        if let Some(t) = self.nomination_due() {
            at(t.max(slot));
        }
        if let Some(t) = self.last_sent_on_selected {
            at(t + self.config.keepalive_interval);
        }
        if let Some(c) = self.consent {
            at(c.next_check);
            if self.state != ConnectionState::Disconnected {
                at(c.last_response + self.config.disconnected_timeout);
            }
            at(c.last_response + self.config.consent_timeout);
        }
        if let Some(t) = relays {
            at(t);
        }
        due
    }

    /// The next event, or `None`.
    ///
    /// Changes after [`IceAgent::handle_receive`],
    /// [`IceAgent::handle_timeout`], [`IceAgent::end_of_remote_candidates`]
    /// (the agent may fail), [`IceAgent::set_remote_lite`] (a role change)
    /// and [`IceAgent::restart`] (back to checking).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<IceEvent> {
        self.events.pop_front()
    }

    /// The current state.
    pub fn state(&self) -> ConnectionState {
        self.state
    }

    /// The current role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The local credentials.
    pub fn local_credentials(&self) -> &Credentials {
        &self.local_credentials
    }

    /// The selected pair as (local base, remote address).
    pub fn selected_pair(&self) -> Option<(SocketAddr, SocketAddr)> {
        let p = &self.pairs[self.selected?];
        Some((p.source, p.destination))
    }

    /// ICE restart (RFC 8445 §9) at `now` with new local `credentials`:
    /// remote candidates, pairs and checks are cleared, and the peer's new
    /// credentials and candidates must be signalled again. The selected
    /// pair stays in use until a new one is selected.
    pub fn restart(&mut self, now: Instant, credentials: Credentials) {
        self.now = Some(now);
        self.local_key = key(&credentials.pwd);
        self.local_credentials = credentials;
        self.remote_credentials = None;
        self.remote_key = IntegrityKey::new(&[]);
        self.remote_end_of_candidates = false;
        let checks: Vec<TransactionId> = self
            .purposes
            .iter()
            .filter(|(_, p)| !matches!(p, Purpose::Gather { .. }))
            .map(|(t, _)| *t)
            .collect();
        for tid in checks {
            self.transactions.cancel(tid);
            self.purposes.remove(&tid);
        }
        let selected = self.selected.map(|i| self.pairs[i].clone());
        self.remotes.clear();
        self.pairs.clear();
        self.removed.clear();
        self.triggered.clear();
        self.late.clear();
        self.first_valid = None;
        self.consent = None;
        self.selected = None;
        if let Some(mut pair) = selected {
            // Keep the old pair usable until a new one is selected; it is
            // no longer checked.
            pair.transaction = None;
            self.pairs.push(pair);
            self.removed.push(true);
            self.selected = Some(0);
        }
        self.restarting = true;
        // The peer's addresses may change: permissions the TURN servers
        // refused may be asked again.
        for relay in &mut self.relays {
            relay.forget_refusals();
        }
        self.set_state(ConnectionState::Checking);
    }
}

/// The caller's random source, shared by the agent and its TURN clients
/// (RFC 8489 §6 asks for transaction ids "uniformly and randomly chosen":
/// the clients draw them from the same source as the agent's own).
#[derive(Clone)]
struct SharedRandom(Arc<Mutex<Box<dyn Random + Send>>>);

impl Random for SharedRandom {
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        // A panic while filling cannot leave a generator half-updated in a
        // way that matters here: take it back from a poisoned lock.
        let mut random = self.0.lock().unwrap_or_else(|e| e.into_inner());
        random.fill_bytes(dst);
    }
}

/// The short-term key for an ICE password: the password as is, since
/// ice-chars are ASCII and OpaqueString leaves them unchanged (RFC 8445
/// §7.2.2, RFC 8489 §9.1.1), made ready once for every check of the
/// session.
fn key(pwd: &str) -> IntegrityKey {
    let key = rtw_stun::key::short_term_key(pwd).unwrap_or_else(|_| pwd.as_bytes().to_vec());
    IntegrityKey::new(&key)
}
