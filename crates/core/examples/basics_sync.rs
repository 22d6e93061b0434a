//! The main example: a slow function, cached on the embedded SQLite default.
//!
//! Run it twice: `cargo run --example basics_sync`. The first call of the first run takes a second;
//! every later call, in this run or the next, is read back from `.miniperscache/miniperscache.db`.

use std::time::{Duration, Instant};

use miniperscache::cached;

/// A slow computation (the seed's `expensive_calculation`).
#[cached(tag = "expensive_calculation")]
fn expensive_calculation(x: i64, y: i64) -> f64 {
    std::thread::sleep(Duration::from_secs(1));
    (x * y) as f64
}

fn main() {
    for call in ["first", "second"] {
        let start = Instant::now();
        let result = expensive_calculation(6, 7);
        println!(
            "{call} call: expensive_calculation(6, 7) = {result} in {:.1?}",
            start.elapsed()
        );
    }
}
