mod lab;
use lab::{rules, Lab};
#[test]
fn rec() {
    let mut lab = Lab::new(3);
    let s = lab.server().to_string();
    lab.listen(&s, &[80]);
    lab.nft(lab.router(2), rules::SILENT_ROUTER);
    let out = lab
        .command(env!("CARGO_BIN_EXE_tracetcp"))
        .args(["198.18.3.2", "-n", "-t", "500", "-w", "/tmp/rec1.pcap"])
        .output()
        .unwrap();
    std::fs::write("/tmp/rec1.live.txt", &out.stdout).unwrap();
    println!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
