//! The capture, opened early. libpcap's packet ring costs a kernel RCU
//! grace period (6-30 ms measured here) before the first probe may go;
//! it is set up on a thread of its own from the moment the device is
//! known, or guessed from the default route while a host name resolves,
//! so that the wait overlaps the look-ups and the rest of the setup.

use super::{activate, set_filter};
use crate::error::{Error, Result};
use pcap::{Active, Capture};
use std::thread::JoinHandle;

/// A capture being opened on `device`, keeping `snaplen` bytes a packet.
pub struct Opening {
    device: String,
    snaplen: i32,
    /// `None` if no thread could be started: the capture then opens in
    /// [`Opening::finish`].
    thread: Option<JoinHandle<Result<Capture<Active>>>>,
}

impl Opening {
    pub fn start(device: &str, snaplen: i32) -> Opening {
        let name = device.to_string();
        let thread = std::thread::Builder::new()
            .name("capture-open".into())
            .spawn(move || activate(&name, snaplen))
            .ok();
        Opening {
            device: device.to_string(),
            snaplen,
            thread,
        }
    }

    /// This opening if it is on `device` with `snaplen`; otherwise a new
    /// one there, this one closed in the background (a close waits for a
    /// grace period too).
    pub fn on(self, device: &str, snaplen: i32) -> Opening {
        if self.device == device && self.snaplen == snaplen {
            return self;
        }
        log::debug!(
            "capture opened early on {}, but the target needs {device}",
            self.device
        );
        if let Some(thread) = self.thread {
            let _ = std::thread::Builder::new().spawn(move || drop(thread.join()));
        }
        Opening::start(device, snaplen)
    }

    /// The bytes of each packet it keeps.
    pub fn snaplen(&self) -> i32 {
        self.snaplen
    }

    /// The capture, once open, taking what `filter` matches.
    pub fn finish(self, filter: &str) -> Result<Capture<Active>> {
        let opened = match self.thread {
            Some(thread) => thread.join().unwrap_or_else(|_| {
                Err(Error::Capture(format!(
                    "capturing on {}: the thread opening it failed",
                    self.device
                )))
            }),
            None => activate(&self.device, self.snaplen),
        };
        let mut cap = opened?;
        set_filter(&mut cap, filter)?;
        Ok(cap)
    }
}
