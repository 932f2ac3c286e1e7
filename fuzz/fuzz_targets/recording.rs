//! Any bytes as a recording: the streaming reader, the session
//! description and the replay in every report format must not panic.
#![no_main]

#[path = "../../tests/support/replay_any.rs"]
mod replay_any;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| replay_any::replay_in_every_format(data));
