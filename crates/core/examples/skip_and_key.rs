//! Skipped arguments and a custom key function (the seed's `DefaultArgHasher(skip_args=...)` and
//! custom arg hasher examples).

use miniperscache::cached;

/// A client that cannot (and should not) be part of the key.
pub struct Client {
    /// The model the client talks to.
    pub model: String,
}

impl Client {
    fn complete(&self, prompt: &str) -> String {
        println!("calling {} with {prompt:?}", self.model);
        format!("{}: {}", self.model, prompt.to_uppercase())
    }
}

/// The client is skipped: the key is the prompt alone.
#[cached(tag = "model_call_skip", skip(client))]
fn model_call(client: &Client, prompt: &str) -> String {
    client.complete(prompt)
}

/// The key function sees every argument and returns the key material: here the model's name and
/// the prompt, so two clients for the same model share entries.
fn model_call_key(client: &Client, prompt: &str) -> (String, String) {
    (client.model.clone(), prompt.to_owned())
}

#[cached(tag = "model_call_key", key = model_call_key)]
fn model_call_by_model(client: &Client, prompt: &str) -> String {
    client.complete(prompt)
}

fn main() {
    let client = Client {
        model: "small".into(),
    };
    println!("{}", model_call(&client, "hello"));
    println!("{}", model_call(&client, "hello"));
    println!("{}", model_call_by_model(&client, "hi"));
    println!(
        "{}",
        model_call_by_model(
            &Client {
                model: "small".into()
            },
            "hi"
        )
    );
}
