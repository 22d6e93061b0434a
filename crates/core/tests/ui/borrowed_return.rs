use miniperscache::cached;

#[cached]
fn first_word(text: &str) -> &str {
    text.split(' ').next().unwrap_or("")
}

#[cached]
fn words<'a>(text: &'a str) -> Vec<&'a str> {
    text.split(' ').collect()
}

fn main() {
    first_word("a b");
    words("a b");
}
