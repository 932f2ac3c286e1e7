//! A small DNS client for reverse names and TXT look-ups, built so that a
//! server that is down costs at most its deadline: every question of a
//! batch goes out over one UDP socket (at most `PARALLEL` waiting at
//! once), each with its own deadline per try and a few tries, under one
//! deadline for the whole batch. Query IDs are random; an answer counts
//! only from the server asked, with the ID, question and type asked; a
//! truncated one is asked again over TCP. Messages are encoded and
//! decoded by hickory-proto.
//!
//! Owns the wire I/O of DNS; knows nothing of traces.

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// Questions waiting for their answers at once, at most.
const PARALLEL: usize = 32;

/// What a question got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The records' data: a TXT record's character-strings joined, a PTR
    /// record's name without its final dot.
    Records(Vec<String>),
    /// The name does not exist, or has no record of that type.
    Nothing,
    /// An answer that was no use (a server failure, a truncated answer
    /// that TCP did not get whole).
    Failed,
    /// No answer in time (a server down or silent).
    Silent,
}

/// The server and how long to wait for it.
#[derive(Debug, Clone)]
pub struct Client {
    pub server: SocketAddr,
    /// How long one try waits.
    pub per_try: Duration,
    pub tries: u32,
}

/// A random 16-bit query ID.
fn random_id() -> u16 {
    let mut bytes = [0u8; 2];
    let n = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), 2, 0) };
    if n == 2 {
        u16::from_ne_bytes(bytes)
    } else {
        // The clock's nanoseconds: unpredictable enough for a fallback.
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as u16)
    }
}

/// The query for `name` and `kind`, with its ID, as bytes.
fn query(id: u16, name: &Name, kind: RecordType) -> Option<Vec<u8>> {
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(name.clone(), kind));
    m.to_vec().ok()
}

/// What a response says about the question (`name`, `kind`); `None` if
/// it is no response to it; `Some(Err(()))` if it was truncated.
fn read(response: &Message, name: &Name, kind: RecordType) -> Option<Result<Answer, ()>> {
    let asked = response.queries.first()?;
    if response.metadata.message_type != MessageType::Response
        || asked.query_type() != kind
        // Names compare without regard to case.
        || asked.name() != name
    {
        return None;
    }
    if response.metadata.truncation {
        return Some(Err(()));
    }
    Some(Ok(match response.metadata.response_code {
        ResponseCode::NoError => {
            let records: Vec<String> = response
                .answers
                .iter()
                .filter_map(|r| match &r.data {
                    RData::TXT(t) => Some(
                        t.txt_data
                            .iter()
                            .map(|s| String::from_utf8_lossy(s).into_owned())
                            .collect(),
                    ),
                    RData::PTR(p) => Some(p.0.to_string().trim_end_matches('.').to_string()),
                    _ => None,
                })
                .collect();
            if records.is_empty() {
                Answer::Nothing
            } else {
                Answer::Records(records)
            }
        }
        ResponseCode::NXDomain => Answer::Nothing,
        _ => Answer::Failed,
    }))
}

/// One question in flight.
struct Pending {
    at: usize,
    name: Name,
    kind: RecordType,
    tries: u32,
    /// When the current try gives up.
    until: Instant,
}

impl Client {
    /// Asks every question (a name and a record type) of `questions`,
    /// giving up on all that have no answer by `deadline`; the answers in
    /// the questions' order.
    pub fn ask(&self, questions: &[(String, RecordType)], deadline: Instant) -> Vec<Answer> {
        let mut answers = vec![Answer::Silent; questions.len()];
        let local: SocketAddr = if self.server.is_ipv6() {
            "[::]:0".parse().unwrap()
        } else {
            "0.0.0.0:0".parse().unwrap()
        };
        let Ok(socket) = UdpSocket::bind(local) else {
            return answers;
        };
        let mut next = 0;
        let mut waiting: HashMap<u16, Pending> = HashMap::new();
        let mut buf = [0u8; 4096];
        loop {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            // Tries that timed out go again, or give up.
            let expired: Vec<u16> = waiting
                .iter()
                .filter(|(_, p)| p.until <= now)
                .map(|(id, _)| *id)
                .collect();
            for id in expired {
                let p = waiting.remove(&id).unwrap();
                if p.tries < self.tries {
                    self.send(
                        &socket,
                        &mut waiting,
                        p.at,
                        p.name,
                        p.kind,
                        p.tries + 1,
                        now,
                    );
                }
            }
            while waiting.len() < PARALLEL && next < questions.len() {
                let (name, kind) = &questions[next];
                match Name::from_ascii(name) {
                    Ok(mut n) => {
                        n.set_fqdn(true);
                        self.send(&socket, &mut waiting, next, n, *kind, 1, now);
                    }
                    Err(_) => answers[next] = Answer::Nothing,
                }
                next += 1;
            }
            if waiting.is_empty() && next >= questions.len() {
                break;
            }
            let wake = waiting
                .values()
                .map(|p| p.until)
                .min()
                .unwrap_or(deadline)
                .min(deadline);
            let _ = socket.set_read_timeout(Some(
                wake.saturating_duration_since(now)
                    .max(Duration::from_millis(1)),
            ));
            let Ok((n, from)) = socket.recv_from(&mut buf) else {
                continue;
            };
            if from != self.server {
                continue;
            }
            let Ok(response) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let Some(p) = waiting.get(&response.metadata.id) else {
                continue;
            };
            match read(&response, &p.name, p.kind) {
                None => continue,
                Some(Ok(answer)) => answers[p.at] = answer,
                Some(Err(())) => answers[p.at] = self.over_tcp(&p.name, p.kind, deadline),
            }
            waiting.remove(&response.metadata.id);
        }
        answers
    }

    #[allow(clippy::too_many_arguments)]
    fn send(
        &self,
        socket: &UdpSocket,
        waiting: &mut HashMap<u16, Pending>,
        at: usize,
        name: Name,
        kind: RecordType,
        tries: u32,
        now: Instant,
    ) {
        let mut id = random_id();
        while waiting.contains_key(&id) {
            id = id.wrapping_add(1);
        }
        if let Some(bytes) = query(id, &name, kind) {
            let _ = socket.send_to(&bytes, self.server);
        }
        waiting.insert(
            id,
            Pending {
                at,
                name,
                kind,
                tries,
                until: now + self.per_try,
            },
        );
    }

    /// The question asked again over TCP, for a truncated answer.
    fn over_tcp(&self, name: &Name, kind: RecordType, deadline: Instant) -> Answer {
        let left = || deadline.saturating_duration_since(Instant::now());
        let id = random_id();
        let (Some(bytes), false) = (query(id, name, kind), left().is_zero()) else {
            return Answer::Failed;
        };
        let Ok(mut stream) = TcpStream::connect_timeout(&self.server, left()) else {
            return Answer::Failed;
        };
        let _ = stream.set_read_timeout(Some(left().max(Duration::from_millis(1))));
        let mut framed = (bytes.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&bytes);
        let mut len = [0u8; 2];
        if stream.write_all(&framed).is_err() || stream.read_exact(&mut len).is_err() {
            return Answer::Failed;
        }
        let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if stream.read_exact(&mut body).is_err() {
            return Answer::Failed;
        }
        match Message::from_vec(&body) {
            Ok(m) if m.metadata.id == id => match read(&m, name, kind) {
                Some(Ok(answer)) => answer,
                _ => Answer::Failed,
            },
            _ => Answer::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{PTR, TXT};
    use hickory_proto::rr::Record;

    fn response(
        id: u16,
        name: &str,
        kind: RecordType,
        data: Option<RData>,
        code: ResponseCode,
    ) -> Message {
        let name = Name::from_ascii(name).unwrap();
        let mut m = Message::new(id, MessageType::Response, OpCode::Query);
        m.add_query(Query::query(name.clone(), kind));
        m.metadata.response_code = code;
        if let Some(d) = data {
            m.answers.push(Record::from_rdata(name, 60, d));
        }
        m
    }

    #[test]
    fn txt_strings_are_joined_and_ptr_names_lose_their_dot() {
        let name = Name::from_ascii("1.0.18.198.origin.lab.").unwrap();
        let txt = TXT::new(vec![
            "64500 | 198.18.0.0/24 ".into(),
            "| ZZ | lab | 2026-01-01".into(),
        ]);
        let m = response(
            7,
            "1.0.18.198.origin.lab.",
            RecordType::TXT,
            Some(RData::TXT(txt)),
            ResponseCode::NoError,
        );
        let back = Message::from_vec(&m.to_vec().unwrap()).unwrap();
        assert_eq!(
            read(&back, &name, RecordType::TXT),
            Some(Ok(Answer::Records(vec![
                "64500 | 198.18.0.0/24 | ZZ | lab | 2026-01-01".into()
            ])))
        );
        let ptr = RData::PTR(PTR(Name::from_ascii("r1.lab.").unwrap()));
        let p = response(
            8,
            "1.0.18.198.in-addr.arpa.",
            RecordType::PTR,
            Some(ptr),
            ResponseCode::NoError,
        );
        let asked = Name::from_ascii("1.0.18.198.in-addr.arpa.").unwrap();
        assert_eq!(
            read(&p, &asked, RecordType::PTR),
            Some(Ok(Answer::Records(vec!["r1.lab".into()])))
        );
    }

    #[test]
    fn only_an_answer_to_the_question_asked_counts() {
        let name = Name::from_ascii("a.lab.").unwrap();
        let other = response(1, "b.lab.", RecordType::TXT, None, ResponseCode::NoError);
        assert_eq!(read(&other, &name, RecordType::TXT), None);
        let wrong_type = response(1, "a.lab.", RecordType::PTR, None, ResponseCode::NoError);
        assert_eq!(read(&wrong_type, &name, RecordType::TXT), None);
        let mut query = response(1, "a.lab.", RecordType::TXT, None, ResponseCode::NoError);
        query.metadata.message_type = MessageType::Query;
        assert_eq!(read(&query, &name, RecordType::TXT), None);
        let nx = response(1, "A.LAB.", RecordType::TXT, None, ResponseCode::NXDomain);
        assert_eq!(read(&nx, &name, RecordType::TXT), Some(Ok(Answer::Nothing)));
        let fail = response(1, "a.lab.", RecordType::TXT, None, ResponseCode::ServFail);
        assert_eq!(
            read(&fail, &name, RecordType::TXT),
            Some(Ok(Answer::Failed))
        );
        let mut cut = response(1, "a.lab.", RecordType::TXT, None, ResponseCode::NoError);
        cut.metadata.truncation = true;
        assert_eq!(read(&cut, &name, RecordType::TXT), Some(Err(())));
    }

    #[test]
    fn a_silent_server_costs_the_deadline_and_no_more() {
        // A bound socket that never answers.
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let client = Client {
            server: silent.local_addr().unwrap(),
            per_try: Duration::from_millis(50),
            tries: 3,
        };
        let started = Instant::now();
        let questions: Vec<_> = (0..40)
            .map(|i| (format!("{i}.lab"), RecordType::TXT))
            .collect();
        let answers = client.ask(&questions, started + Duration::from_millis(300));
        let took = started.elapsed();
        assert!(answers.iter().all(|a| *a == Answer::Silent));
        assert!(took < Duration::from_secs(2), "{took:?}");
    }
}
