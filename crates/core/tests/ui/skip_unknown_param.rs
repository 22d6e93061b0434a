use miniperscache::cached;

#[cached(skip(verbose, lgo))]
fn fetch(url: &str, verbose: bool, log: &mut Vec<String>) -> String {
    if verbose {
        log.push(url.to_owned());
    }
    url.to_owned()
}

fn main() {
    fetch("u", false, &mut Vec::new());
}
