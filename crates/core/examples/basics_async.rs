//! `#[cached]` on an `async fn` (the seed's async example), on tokio.

use std::time::{Duration, Instant};

use miniperscache::cached;

/// Stands in for a network call.
async fn fetch_expensive_data(x: i64, y: i64) -> f64 {
    tokio::time::sleep(Duration::from_millis(500)).await;
    (x * y) as f64
}

#[cached(tag = "expensive_calculation_async")]
async fn expensive_calculation(x: i64, y: i64) -> f64 {
    fetch_expensive_data(x, y).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    for call in ["first", "second"] {
        let start = Instant::now();
        let result = expensive_calculation(6, 7).await;
        println!("{call} call: {result} in {:.1?}", start.elapsed());
    }
}
