use miniperscache::cached;

#[cached(tag = 7, skip(nope), codec = miniperscache::Json, store)]
const fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
}
