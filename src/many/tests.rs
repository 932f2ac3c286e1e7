//! The bucket's rate and the routing of packets to their target.

use super::*;
use tracetcp_strategies::answer;
use tracetcp_strategies::wire::proto;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn the_bucket_keeps_every_tenth_of_a_second_near_the_rate() {
    let mut b = Bucket::new(200);
    let t0 = Timestamp::from_nanos(1_000_000_000);
    // 1 at once, then one every 5 ms.
    let burst = (0..100).filter(|_| b.take(t0)).count();
    assert_eq!(burst, 1);
    assert_eq!(b.next_token(), Some(t0.after(Duration::from_millis(5))));
    // Over a second of asking every millisecond: 200 more, no more.
    let sent = (1..=1000)
        .filter(|ms| b.take(t0.after(Duration::from_millis(*ms))))
        .count();
    assert!((199..=201).contains(&sent), "{sent}");
    // No tenth of a second holds more than 10% over the rate's share.
    let mut b = Bucket::new(400);
    let times: Vec<u64> = (0..2000u64)
        .filter(|us100| b.take(t0.after(Duration::from_micros(us100 * 100))))
        .collect();
    let most = times
        .iter()
        .enumerate()
        .map(|(i, &t)| times[i..].iter().take_while(|&&u| u < t + 1000).count())
        .max()
        .unwrap();
    assert!(most <= 41, "{most}");
    let mut slow = Bucket::new(1);
    assert!(slow.take(t0));
    assert!(!slow.take(t0.after(Duration::from_millis(500))));
    assert!(slow.take(t0.after(Duration::from_millis(1000))));
}

#[test]
fn a_packet_is_about_the_target_its_probe_went_to() {
    let me = ip("198.18.0.1");
    let target = ip("198.18.3.7");
    let probe = answer::ip_packet(
        me,
        target,
        proto::UDP,
        &[0x9c, 0x40, 0x82, 0x9a, 0, 8, 0, 0],
    );
    assert_eq!(about(&probe, me), Some(target));
    // A router's error quotes the probe: about the target, not the router.
    let error = answer::time_exceeded(ip("198.18.1.2"), &probe, 8).unwrap();
    assert_eq!(about(&error, me), Some(target));
    // The target's own answer.
    let unreachable = answer::unreachable(target, &probe, 3).unwrap();
    assert_eq!(about(&unreachable, me), Some(target));
    let syn = answer::ip_packet(
        me,
        target,
        proto::TCP,
        &[
            0x9c, 0x40, 0, 80, 0, 0, 0, 9, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
        ],
    );
    let syn_ack = answer::tcp_answer(&syn, 0x12).unwrap();
    assert_eq!(about(&syn_ack, me), Some(target));
    let v6 = answer::ip_packet(
        ip("2001:db8::1"),
        ip("2001:db8:3::7"),
        proto::UDP,
        &[0, 1, 0, 2, 0, 8, 0, 0],
    );
    let error6 = answer::time_exceeded(ip("2001:db8:1::2"), &v6, 8).unwrap();
    assert_eq!(about(&error6, ip("2001:db8::1")), Some(ip("2001:db8:3::7")));
    assert_eq!(about(&[0x45, 0], me), None);
}
