use miniperscache::cached;

const TAG: &str = "users";

#[cached(tag = TAG)]
fn user(id: u32) -> String {
    id.to_string()
}

fn main() {
    user(1);
}
