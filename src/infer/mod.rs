//! Traceroutes rebuilt from any capture (`--replay` of a file with no
//! tracetcp session in it): probes of other tools found in the packets,
//! grouped into sessions, answers matched through what they quote, and
//! the sessions handed to the same reports and diagnosis as a live run.
//! Must not depend on the command line or the engine.

pub mod packet;
pub mod replay;
pub mod sessions;
