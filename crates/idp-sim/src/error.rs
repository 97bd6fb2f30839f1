//! The one error a simulator can fail to start with.

use std::io;
use std::net::SocketAddr;

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The address could not be listened on (in use, not a local address, no permission).
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// `start` was called outside a Tokio runtime: the server runs as a Tokio task.
    #[error("a simulator must be started from inside a Tokio runtime")]
    NoRuntime,
    /// The RSA key pair of the rsa-cas simulator could not be generated.
    #[error("could not generate the RSA key pair: {0}")]
    Key(String),
    /// The rsa-cas simulator could not write its key file.
    #[error("could not write the key file: {0}")]
    KeyFile(#[source] io::Error),
}
