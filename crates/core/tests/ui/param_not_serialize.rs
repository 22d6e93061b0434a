use miniperscache::cached;

struct Connection;

#[cached]
fn query(conn: &Connection, sql: &str) -> Vec<String> {
    let _ = conn;
    vec![sql.to_owned()]
}

fn main() {
    query(&Connection, "select 1");
}
