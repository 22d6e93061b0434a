use miniperscache::cached;

#[cached(tag = "a", codec = miniperscache::Json, tag = "b")]
fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
}
