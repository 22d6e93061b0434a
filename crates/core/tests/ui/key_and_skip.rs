use miniperscache::cached;

fn by_name(name: &str, _verbose: &bool) -> String {
    name.to_lowercase()
}

#[cached(key = by_name, skip(verbose))]
fn greet(name: &str, verbose: bool) -> String {
    let _ = verbose;
    format!("hello {name}")
}

fn main() {
    greet("a", true);
}
