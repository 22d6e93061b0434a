use miniperscache::cached;

#[cached]
fn add((a, b): (i32, i32), _: u8) -> i32 {
    a + b
}

fn main() {
    add((1, 2), 0);
}
