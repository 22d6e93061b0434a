//! Deletion by tag (the seed's `SqliteStorage().delete_tag(...)`), and the programmatic API.

use miniperscache::{Cache, SqliteStore};

fn main() -> Result<(), miniperscache::Error> {
    let cache = Cache::new(SqliteStore::open_default()?);
    let v: u64 = cache.get_or_compute("squares", &12u64, || 12 * 12)?;
    println!("12² = {v}");
    for tag in cache.tags()? {
        println!("{}: {} entries, {} bytes", tag.tag, tag.entries, tag.bytes);
    }
    let removed = SqliteStore::open_default()
        .map(Cache::new)?
        .delete_tag("squares")?;
    println!("removed {removed} entries of tag \"squares\"");
    Ok(())
}
