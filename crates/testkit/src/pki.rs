//! Certificates for TLS tests, made with rcgen in a temporary directory
//! that is removed on drop: a test CA and leaves it signs, and self-signed
//! leaves no CA vouches for.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, PublicKeyData};
use sha2::{Digest, Sha256};

/// A directory of PEM files: `ca.pem` (the test CA), and `NAME.pem` with
/// `NAME.key` for each leaf; removed on drop.
pub struct TestPki {
    dir: PathBuf,
    issuer: Issuer<'static, KeyPair>,
    leaf_spki: String,
}

impl TestPki {
    /// A new directory with the test CA (`ca.pem`) and `leaf.pem` /
    /// `leaf.key`, a leaf for `127.0.0.1` and `localhost` signed by it.
    pub fn new() -> TestPki {
        let dir = std::env::temp_dir().join(format!(
            "rtw-pki-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "rtw test CA");
        let key = KeyPair::generate().expect("a CA key");
        let ca = params.self_signed(&key).expect("the CA certificate");
        std::fs::write(dir.join("ca.pem"), ca.pem()).expect("ca.pem written");
        let mut pki = TestPki {
            dir,
            issuer: Issuer::new(params, key),
            leaf_spki: String::new(),
        };
        pki.leaf_spki = pki.leaf("leaf", &["127.0.0.1", "localhost"]);
        pki
    }

    /// The SPKI hash of `leaf` (see [`TestPki::leaf`]).
    pub fn leaf_spki_sha256(&self) -> &str {
        &self.leaf_spki
    }

    /// Writes `NAME.pem` and `NAME.key`: a leaf for `names` (DNS names or
    /// IP addresses) signed by the test CA. Returns the base64 of the
    /// SHA-256 of its SubjectPublicKeyInfo (what Chromium's
    /// `--ignore-certificate-errors-spki-list` takes).
    pub fn leaf(&self, name: &str, names: &[&str]) -> String {
        let key = KeyPair::generate().expect("a leaf key");
        let sans = names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        let cert = CertificateParams::new(sans)
            .expect("leaf parameters")
            .signed_by(&key, &self.issuer)
            .expect("the leaf certificate");
        self.write(name, &cert.pem(), &key)
    }

    /// Writes `NAME.pem` and `NAME.key`: a self-signed leaf for `names`,
    /// which the test CA does not vouch for. Returns its SPKI hash as
    /// [`TestPki::leaf`] does.
    pub fn self_signed(&self, name: &str, names: &[&str]) -> String {
        let sans = names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        let made = rcgen::generate_simple_self_signed(sans).expect("a self-signed certificate");
        self.write(name, &made.cert.pem(), &made.signing_key)
    }

    fn write(&self, name: &str, pem: &str, key: &KeyPair) -> String {
        std::fs::write(self.path(&format!("{name}.pem")), pem).expect("certificate written");
        std::fs::write(self.path(&format!("{name}.key")), key.serialize_pem())
            .expect("key written");
        base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(key.subject_public_key_info()))
    }

    /// A file of the directory (it need not exist: tests name missing
    /// files through it too).
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Default for TestPki {
    fn default() -> Self {
        TestPki::new()
    }
}

impl Drop for TestPki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
