//! Custom storage and serializer: one file per entry, values as JSON (the seed's FileStorage +
//! JsonSerializer example).

use miniperscache::{cached, FileStore, Json};

#[cached(
    tag = "expensive_calculation_files",
    store = FileStore::new(".miniperscache/files-example"),
    codec = Json
)]
fn expensive_calculation(x: i64, y: i64) -> f64 {
    println!("computing {x} * {y}");
    (x * y) as f64
}

fn main() {
    println!("{}", expensive_calculation(3, 4));
    println!("{}", expensive_calculation(3, 4));
}
