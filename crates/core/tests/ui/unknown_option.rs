use miniperscache::cached;

#[cached(tag = "x", ttl = 60)]
fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
}
