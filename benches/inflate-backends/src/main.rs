//! Inflates every gzip file named on the command line with the flate2 backend this binary was
//! built with (see Cargo.toml), and prints bytes out, CPU-bound wall time and throughput.

use std::io::Read;
use std::time::Instant;

fn main() {
    let mut total = 0u64;
    let start = Instant::now();
    for path in std::env::args().skip(1) {
        let file = std::io::BufReader::with_capacity(256 * 1024, std::fs::File::open(&path).unwrap());
        let mut decoder = flate2::bufread::MultiGzDecoder::new(file);
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let n = decoder.read(&mut buffer).unwrap();
            if n == 0 {
                break;
            }
            total += n as u64;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let backend = if cfg!(feature = "zlib-rs") { "zlib-rs" } else { "miniz_oxide" };
    println!(
        "{backend}: {total} bytes in {seconds:.2} s, {:.0} MiB/s",
        total as f64 / seconds / 1048576.0
    );
}
