use miniperscache::cached;

struct Client;

impl Client {
    #[cached]
    fn get(&self, url: &str) -> String {
        url.to_owned()
    }
}

fn main() {
    Client.get("u");
}
