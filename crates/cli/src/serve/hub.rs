//! `rtw serve --hub stomp://HOST:PORT`: the hub on RabbitMQ
//! ([`rtw_tokio::serve::RabbitHub`]) instead of in-process.

use std::path::PathBuf;

use rtw_tokio::serve::{HubUrl, RabbitConfig, RabbitHub, SharedHub};

use crate::checks::Failure;

/// Where the hub lives.
#[derive(Debug, clap::Args)]
pub(crate) struct HubArgs {
    /// Put the hub on RabbitMQ through its STOMP plugin, so that several
    /// `rtw serve` nodes share it: `stomp://[USER:PASS@]HOST:PORT[/STREAM]`
    /// (`stomps://` for TLS). Every topic's messages go through one
    /// RabbitMQ stream queue (STREAM, default rtw.hub); ids are stream
    /// offsets plus one, the same on every node, so a client resumes on
    /// any node. Without it the hub is in-process.
    #[arg(long, value_name = "URL", value_parser = HubUrl::parse)]
    hub: Option<HubUrl>,
    /// The login and passcode for --hub, instead of the URL's.
    #[arg(long, value_name = "USER:PASS", requires = "hub")]
    hub_login: Option<String>,
    /// The stream's retention for --hub, bytes (x-max-length-bytes; every
    /// node must give the same).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 30, requires = "hub")]
    hub_max_bytes: u64,
    /// A PEM file of the CA certificates to trust for stomps:// (default:
    /// the platform's roots).
    #[arg(long, value_name = "FILE", requires = "hub")]
    hub_ca: Option<PathBuf>,
}

impl HubArgs {
    /// Puts `hub` on RabbitMQ when --hub is given; returns once this node
    /// caught up with the stream (keep what it returns while serving).
    pub(crate) async fn start(&self, hub: &SharedHub) -> Result<Option<RabbitHub>, Failure> {
        let Some(url) = &self.hub else {
            return Ok(None);
        };
        let mut url = url.clone();
        if let Some(login) = &self.hub_login {
            let (user, pass) = login.split_once(':').unwrap_or((login, ""));
            url = url.login(user, pass);
        }
        let mut config = RabbitConfig::new(url);
        config.max_bytes = self.hub_max_bytes;
        if let Some(ca) = &self.hub_ca {
            let trust = rtw_tokio::tls::Trust::ca_only(ca);
            config.tls = Some(rtw_tokio::tls::client_config(&trust).map_err(|e| e.to_string())?);
        }
        let backend = RabbitHub::start(config, hub.clone())
            .await
            .map_err(|e| format!("--hub: {e}"))?;
        Ok(Some(backend))
    }
}
