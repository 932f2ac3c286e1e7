//! A source of packets held in memory: a script of (time, IP packet)
//! pairs, played in order. Tests drive the engine with it, exactly as a
//! replay drives it with a recording.

use super::{Input, Packet, PacketSource};
use crate::error::Result;
use crate::time::Timestamp;

#[derive(Debug, Clone, Default)]
pub struct Script {
    packets: Vec<(Timestamp, Vec<u8>)>,
    next: usize,
    interrupted_at: Option<Timestamp>,
}

impl Script {
    /// IP packets (no link-layer header) with their capture times, in order.
    pub fn new(packets: Vec<(Timestamp, Vec<u8>)>) -> Self {
        Script {
            packets,
            next: 0,
            interrupted_at: None,
        }
    }

    /// The script ends as a recording of a run stopped at `at` does.
    pub fn interrupted_at(mut self, at: Timestamp) -> Self {
        self.interrupted_at = Some(at);
        self
    }
}

impl PacketSource for Script {
    fn next(&mut self, _until: Option<Timestamp>) -> Result<Input<'_>> {
        self.poll()
    }

    fn poll(&mut self) -> Result<Input<'_>> {
        let Some((ts, bytes)) = self.packets.get(self.next) else {
            return Ok(Input::End {
                interrupted_at: self.interrupted_at,
            });
        };
        self.next += 1;
        Ok(Input::Packet(Packet {
            ts: *ts,
            frame: bytes,
            ip_offset: Some(0),
        }))
    }
}
