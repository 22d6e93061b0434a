//! `#[cached]` end to end, on `fn` and `async fn`.
//!
//! Each cached function counts its body's runs in its own `static AtomicUsize`, so a test can tell a
//! hit (the count stays) from a miss (it grows). Each function has its own store (a `MemoryStore`
//! shared with the test through a `LazyLock`, or a SQLite file in a temp folder), so tests running
//! in parallel never see each other's entries.

use std::panic::catch_unwind;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::LazyLock;

use miniperscache::{cached, Error, Key, MemoryStore, SqliteStore, Store, TagInfo};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// How many times a body ran.
fn runs(counter: &AtomicUsize) -> usize {
    counter.load(SeqCst)
}

/// The entry counts of every tag in `store`.
fn tags(store: &MemoryStore) -> Vec<(String, u64)> {
    Store::tags(store)
        .unwrap()
        .into_iter()
        .map(|TagInfo { tag, entries, .. }| (tag, entries))
        .collect()
}

// --- hits and misses -----------------------------------------------------------------------------

static SQUARE_RUNS: AtomicUsize = AtomicUsize::new(0);
static SQUARE_STORE: LazyLock<MemoryStore> = LazyLock::new(MemoryStore::new);

/// Squares its argument.
#[cached(store = SQUARE_STORE.clone())]
fn square(x: u64) -> u64 {
    SQUARE_RUNS.fetch_add(1, SeqCst);
    x * x
}

#[test]
fn same_arguments_hit_and_different_arguments_miss() {
    assert_eq!(square(3), 9);
    assert_eq!(runs(&SQUARE_RUNS), 1);
    assert_eq!(square(3), 9);
    assert_eq!(
        runs(&SQUARE_RUNS),
        1,
        "the second call with the same argument is a hit"
    );
    assert_eq!(square(4), 16);
    assert_eq!(runs(&SQUARE_RUNS), 2, "a different argument is a miss");
    assert_eq!(square(4), 16);
    assert_eq!(square(3), 9);
    assert_eq!(runs(&SQUARE_RUNS), 2);
}

static CUBE_STORE: LazyLock<MemoryStore> = LazyLock::new(MemoryStore::new);

#[cached(store = CUBE_STORE.clone())]
fn cube(x: u64) -> u64 {
    x * x * x
}

#[test]
fn default_tag_is_the_module_path_and_the_function_name() {
    assert_eq!(cube(2), 8);
    assert_eq!(
        tags(&CUBE_STORE),
        vec![("cached_macro::cube".to_owned(), 1)]
    );
}

static TAGGED_STORE: LazyLock<MemoryStore> = LazyLock::new(MemoryStore::new);

#[cached(tag = "doubles", store = TAGGED_STORE.clone())]
fn double(x: i32) -> i32 {
    x * 2
}

#[test]
fn tag_option_names_the_namespace() {
    assert_eq!(double(21), 42);
    assert_eq!(double(1), 2);
    assert_eq!(tags(&TAGGED_STORE), vec![("doubles".to_owned(), 2)]);
}

// --- the key: skip and key functions ---------------------------------------------------------------

static GREET_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached(skip(log, verbose), store = MemoryStore::new())]
fn greet(name: &str, log: &mut Vec<String>, verbose: bool) -> String {
    GREET_RUNS.fetch_add(1, SeqCst);
    if verbose {
        log.push(format!("greeting {name}"));
    }
    format!("hello {name}")
}

#[test]
fn skipped_parameters_do_not_change_the_key() {
    let mut log = Vec::new();
    assert_eq!(greet("ann", &mut log, true), "hello ann");
    assert_eq!(greet("ann", &mut log, false), "hello ann");
    assert_eq!(greet("ann", &mut Vec::new(), true), "hello ann");
    assert_eq!(runs(&GREET_RUNS), 1);
    assert_eq!(
        log,
        ["greeting ann"],
        "the body ran once, with the first call's arguments"
    );
    assert_eq!(greet("bob", &mut log, false), "hello bob");
    assert_eq!(
        runs(&GREET_RUNS),
        2,
        "a kept parameter still changes the key"
    );
}

static COMPLETE_RUNS: AtomicUsize = AtomicUsize::new(0);

/// The key ignores case and the retry count; it is passed `&&str` and `&u8`.
fn prompt_key(prompt: &str, temperature: &u8, _retries: &u32) -> (String, u8) {
    (prompt.to_lowercase(), *temperature)
}

#[cached(key = prompt_key, store = MemoryStore::new())]
fn complete(prompt: &str, temperature: u8, retries: u32) -> String {
    COMPLETE_RUNS.fetch_add(1, SeqCst);
    format!("{prompt}@{temperature} after {retries}")
}

#[test]
fn key_function_decides_the_key() {
    assert_eq!(complete("Hi", 1, 0), "Hi@1 after 0");
    assert_eq!(
        complete("hI", 1, 5),
        "Hi@1 after 0",
        "same key: the first value"
    );
    assert_eq!(runs(&COMPLETE_RUNS), 1);
    assert_eq!(complete("hi", 2, 0), "hi@2 after 0");
    assert_eq!(runs(&COMPLETE_RUNS), 2);
}

static KEYED_STORE: LazyLock<MemoryStore> = LazyLock::new(MemoryStore::new);

#[cached(tag = "keyed", store = KEYED_STORE.clone())]
fn keyed(a: u32, b: &str) -> u32 {
    a + b.len() as u32
}

#[test]
fn default_key_is_the_tuple_of_the_parameters() {
    assert_eq!(keyed(1, "xy"), 3);
    let key = Key::of(&(1u32, "xy")).unwrap();
    assert!(Store::get(&*KEYED_STORE, "keyed", &key).unwrap().is_some());
}

// --- what is cached: Ok only, nothing on panic -------------------------------------------------------

static PARSE_RUNS: AtomicUsize = AtomicUsize::new(0);
static PARSE_FAILS: AtomicBool = AtomicBool::new(true);

#[derive(Debug, PartialEq)]
struct ParseError(String);

impl From<std::num::ParseIntError> for ParseError {
    fn from(e: std::num::ParseIntError) -> Self {
        ParseError(e.to_string())
    }
}

#[cached(store = MemoryStore::new())]
fn parse_twice(s: &str) -> Result<u32, ParseError> {
    PARSE_RUNS.fetch_add(1, SeqCst);
    if PARSE_FAILS.load(SeqCst) {
        return Err(ParseError("not yet".into()));
    }
    let n: u32 = s.parse()?; // `?` converts with `From`, as in the undecorated function
    Ok(n * 2)
}

#[test]
fn errors_are_not_cached_but_ok_values_are() {
    assert_eq!(parse_twice("21"), Err(ParseError("not yet".into())));
    assert_eq!(parse_twice("21"), Err(ParseError("not yet".into())));
    assert_eq!(runs(&PARSE_RUNS), 2, "an Err is not cached");
    PARSE_FAILS.store(false, SeqCst);
    assert_eq!(parse_twice("21"), Ok(42));
    assert_eq!(parse_twice("21"), Ok(42));
    assert_eq!(runs(&PARSE_RUNS), 3, "an Ok is cached");
    assert!(parse_twice("x").is_err());
    assert!(parse_twice("x").is_err());
    assert_eq!(runs(&PARSE_RUNS), 5);
}

static READ_RUNS: AtomicUsize = AtomicUsize::new(0);

/// `io::Result<T>` counts as a `Result` too (its last path segment is `Result`).
#[cached(store = MemoryStore::new())]
fn read_len(path: PathBuf) -> std::io::Result<u64> {
    READ_RUNS.fetch_add(1, SeqCst);
    Ok(std::fs::metadata(&path)?.len())
}

#[test]
fn io_result_is_a_result() {
    let missing = std::env::temp_dir().join("mpc-macro-test-does-not-exist");
    assert!(read_len(missing.clone()).is_err());
    assert!(read_len(missing).is_err());
    assert_eq!(runs(&READ_RUNS), 2);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, b"12345").unwrap();
    assert_eq!(read_len(file.clone()).unwrap(), 5);
    std::fs::write(&file, b"1").unwrap();
    assert_eq!(read_len(file).unwrap(), 5, "cached");
    assert_eq!(runs(&READ_RUNS), 3);
}

static FLAKY_RUNS: AtomicUsize = AtomicUsize::new(0);
static FLAKY_PANICS: AtomicBool = AtomicBool::new(true);

#[cached(store = MemoryStore::new())]
fn flaky(x: u8) -> u8 {
    FLAKY_RUNS.fetch_add(1, SeqCst);
    if FLAKY_PANICS.load(SeqCst) {
        panic!("flaky panicked");
    }
    x + 1
}

#[test]
fn a_panic_caches_nothing() {
    assert!(catch_unwind(|| flaky(1)).is_err());
    assert_eq!(runs(&FLAKY_RUNS), 1);
    FLAKY_PANICS.store(false, SeqCst);
    assert_eq!(flaky(1), 2, "the panic left no entry behind");
    assert_eq!(runs(&FLAKY_RUNS), 2);
    assert_eq!(flaky(1), 2);
    assert_eq!(runs(&FLAKY_RUNS), 2);
}

static EARLY_RUNS: AtomicUsize = AtomicUsize::new(0);

/// `return` leaves the body (not the cache) and its value is cached like any other.
#[cached(store = MemoryStore::new())]
fn early_return(mut n: u32) -> u32 {
    EARLY_RUNS.fetch_add(1, SeqCst);
    if n == 0 {
        return 100;
    }
    n += 1; // `mut` parameters stay mutable
    n
}

#[test]
fn return_and_mut_parameters_keep_their_meaning() {
    assert_eq!(early_return(0), 100);
    assert_eq!(early_return(0), 100);
    assert_eq!(early_return(1), 2);
    assert_eq!(early_return(1), 2);
    assert_eq!(runs(&EARLY_RUNS), 2);
}

static UNIT_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached(store = MemoryStore::new())]
fn side_effect_once(_label: &str) {
    UNIT_RUNS.fetch_add(1, SeqCst);
}

#[test]
fn unit_return_is_cached() {
    side_effect_once("a");
    side_effect_once("a");
    assert_eq!(runs(&UNIT_RUNS), 1);
}

// --- borrowed and generic parameters ------------------------------------------------------------------

/// Neither `Clone` nor `'static`: the key borrows it.
#[derive(Serialize)]
struct Point {
    x: i32,
    y: i32,
}

static MEASURE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached(store = MemoryStore::new())]
fn measure(label: &str, weights: &[u32], origin: &Point) -> String {
    MEASURE_RUNS.fetch_add(1, SeqCst);
    let total: u32 = weights.iter().sum();
    format!("{label}:{total}@{},{}", origin.x, origin.y)
}

#[test]
fn borrowed_arguments_need_no_clone() {
    let label = String::from("w");
    let weights = vec![1, 2, 3];
    let origin = Point { x: 1, y: 2 };
    assert_eq!(measure(&label, &weights, &origin), "w:6@1,2");
    assert_eq!(measure("w", &[1, 2, 3], &Point { x: 1, y: 2 }), "w:6@1,2");
    assert_eq!(runs(&MEASURE_RUNS), 1);
    assert_eq!(measure("w", &[1, 2, 3], &Point { x: 1, y: 3 }), "w:6@1,3");
    assert_eq!(measure("w", &[3, 2, 1], &origin), "w:6@1,2");
    assert_eq!(
        runs(&MEASURE_RUNS),
        3,
        "every field and element is part of the key"
    );
}

static DESCRIBE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached(store = MemoryStore::new())]
fn describe<T: Serialize + std::fmt::Debug>(value: T, sep: impl AsRef<str> + Serialize) -> String {
    DESCRIBE_RUNS.fetch_add(1, SeqCst);
    format!("{value:?}{}", sep.as_ref())
}

#[test]
fn generic_functions_are_cached() {
    assert_eq!(describe(vec![1u8, 2], "!"), "[1, 2]!");
    assert_eq!(describe(vec![1u8, 2], "!"), "[1, 2]!");
    assert_eq!(runs(&DESCRIBE_RUNS), 1);
    // The `impl Trait` argument's type is part of the key: a `String` is another call than a
    // `&str` with the same text (a type may serialize like another yet behave differently).
    assert_eq!(describe(vec![1u8, 2], String::from("!")), "[1, 2]!");
    assert_eq!(runs(&DESCRIBE_RUNS), 2);
    assert_eq!(describe(vec![1u8, 2], String::from("!")), "[1, 2]!");
    assert_eq!(describe("x", "?"), "\"x\"?");
    assert_eq!(runs(&DESCRIBE_RUNS), 3);
}

static PARSE_AS_RUNS: AtomicUsize = AtomicUsize::new(0);

/// The arguments are the same for every `T`; only `T` tells the calls apart.
#[cached(store = MemoryStore::new())]
fn parse_as<T: std::str::FromStr + Serialize + DeserializeOwned>(s: &str) -> Option<T> {
    PARSE_AS_RUNS.fetch_add(1, SeqCst);
    s.parse().ok()
}

#[test]
fn type_parameters_are_part_of_the_key() {
    assert_eq!(parse_as::<u8>("7"), Some(7u8));
    assert_eq!(parse_as::<String>("7"), Some("7".to_owned()));
    assert_eq!(parse_as::<bool>("7"), None);
    assert_eq!(runs(&PARSE_AS_RUNS), 3);
    assert_eq!(parse_as::<String>("7"), Some("7".to_owned()));
    assert_eq!(parse_as::<u8>("7"), Some(7u8));
    assert_eq!(runs(&PARSE_AS_RUNS), 3);
}

static ZEROS_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached(store = MemoryStore::new())]
fn zeros<const N: usize>() -> Vec<u8> {
    ZEROS_RUNS.fetch_add(1, SeqCst);
    vec![0; N]
}

#[test]
fn const_parameters_are_part_of_the_key() {
    assert_eq!(zeros::<2>().len(), 2);
    assert_eq!(zeros::<3>().len(), 3);
    assert_eq!(zeros::<2>().len(), 2);
    assert_eq!(runs(&ZEROS_RUNS), 2);
}

struct Factory;

static BUILD_RUNS: AtomicUsize = AtomicUsize::new(0);

impl Factory {
    /// Associated functions without a receiver work, `Self` included.
    #[cached(store = MemoryStore::new())]
    fn build(size: u32) -> Vec<u32> {
        BUILD_RUNS.fetch_add(1, SeqCst);
        Self::fill(size)
    }

    fn fill(size: u32) -> Vec<u32> {
        (0..size).collect()
    }
}

#[test]
fn associated_functions_are_cached() {
    assert_eq!(Factory::build(3), [0, 1, 2]);
    assert_eq!(Factory::build(3), [0, 1, 2]);
    assert_eq!(runs(&BUILD_RUNS), 1);
}

// --- codecs and stores ------------------------------------------------------------------------------

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Profile {
    name: String,
    age: u32,
}

static JSON_STORE: LazyLock<MemoryStore> = LazyLock::new(MemoryStore::new);
static PROFILE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached(tag = "profiles", codec = miniperscache::Json, store = JSON_STORE.clone())]
fn profile(name: &str) -> Profile {
    PROFILE_RUNS.fetch_add(1, SeqCst);
    Profile {
        name: name.to_owned(),
        age: 42,
    }
}

#[test]
fn codec_option_chooses_the_encoding() {
    let expected = Profile {
        name: "ann".into(),
        age: 42,
    };
    assert_eq!(profile("ann"), expected);
    assert_eq!(profile("ann"), expected);
    assert_eq!(runs(&PROFILE_RUNS), 1, "the JSON entry reads back");
    let key = Key::of(&("ann",)).unwrap();
    let bytes = Store::get(&*JSON_STORE, "profiles", &key).unwrap().unwrap();
    let json = br#"{"name":"ann","age":42}"#;
    assert!(
        bytes.windows(json.len()).any(|w| w == json),
        "the entry holds the value as JSON: {}",
        String::from_utf8_lossy(&bytes)
    );
}

/// A SQLite file of its own for each test process.
fn sqlite_path() -> PathBuf {
    std::env::temp_dir()
        .join(format!("mpc-macro-test-{}", std::process::id()))
        .join("cache.db")
}

fn open_sqlite() -> miniperscache::Result<SqliteStore> {
    std::fs::create_dir_all(sqlite_path().parent().unwrap()).unwrap();
    SqliteStore::open(sqlite_path())
}

static SQLITE_RUNS: AtomicUsize = AtomicUsize::new(0);

/// `store = ...` may be a `Result` of a store.
#[cached(tag = "sqlite-lengths", store = open_sqlite())]
fn sqlite_len(s: &str) -> usize {
    SQLITE_RUNS.fetch_add(1, SeqCst);
    s.len()
}

#[test]
fn sqlite_store_persists_entries() {
    assert_eq!(sqlite_len("abc"), 3);
    assert_eq!(sqlite_len("abc"), 3);
    assert_eq!(runs(&SQLITE_RUNS), 1);
    let reopened = SqliteStore::open(sqlite_path()).unwrap();
    let key = Key::of(&("abc",)).unwrap();
    assert!(Store::get(&reopened, "sqlite-lengths", &key)
        .unwrap()
        .is_some());
    drop(reopened);
    let _ = std::fs::remove_dir_all(sqlite_path().parent().unwrap());
}

/// A store whose every operation fails.
struct BrokenStore;

fn broken() -> Error {
    Error::Config("the store is down".into())
}

impl Store for BrokenStore {
    fn get(&self, _: &str, _: &Key) -> miniperscache::Result<Option<Vec<u8>>> {
        Err(broken())
    }
    fn set(&self, _: &str, _: &Key, _: &[u8], _: Option<i64>) -> miniperscache::Result<()> {
        Err(broken())
    }
    fn delete(&self, _: &str, _: &Key) -> miniperscache::Result<bool> {
        Err(broken())
    }
    fn delete_tag(&self, _: &str) -> miniperscache::Result<u64> {
        Err(broken())
    }
    fn tags(&self) -> miniperscache::Result<Vec<TagInfo>> {
        Err(broken())
    }
    fn location(&self) -> String {
        "nowhere".into()
    }
}

static BROKEN_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached(store = BrokenStore)]
fn through_broken_store(x: u32) -> u32 {
    BROKEN_RUNS.fetch_add(1, SeqCst);
    x + 1
}

#[test]
fn a_failing_store_fails_open() {
    assert_eq!(through_broken_store(1), 2);
    assert_eq!(through_broken_store(1), 2);
    assert_eq!(
        runs(&BROKEN_RUNS),
        2,
        "nothing is cached, every call runs the body"
    );
}

static UNOPENED_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached(store = Err::<MemoryStore, _>("cannot open"))]
fn through_unopened_store(x: u32) -> u32 {
    UNOPENED_RUNS.fetch_add(1, SeqCst);
    x * 3
}

#[test]
fn a_store_that_cannot_be_opened_fails_open() {
    assert_eq!(through_unopened_store(2), 6);
    assert_eq!(through_unopened_store(2), 6);
    assert_eq!(runs(&UNOPENED_RUNS), 2);
}

// --- async fn --------------------------------------------------------------------------------------

static ASYNC_STORE: LazyLock<MemoryStore> = LazyLock::new(MemoryStore::new);
static FETCH_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached(store = ASYNC_STORE.clone())]
async fn fetch(url: &str, attempt: &[u8]) -> String {
    FETCH_RUNS.fetch_add(1, SeqCst);
    tokio::task::yield_now().await;
    format!("body of {url} ({})", attempt.len())
}

#[tokio::test]
async fn async_fn_hits_and_misses() {
    assert_eq!(fetch("a", &[1]).await, "body of a (1)");
    assert_eq!(fetch("a", &[1]).await, "body of a (1)");
    assert_eq!(runs(&FETCH_RUNS), 1);
    assert_eq!(fetch("b", &[1]).await, "body of b (1)");
    assert_eq!(runs(&FETCH_RUNS), 2);
    assert_eq!(
        tags(&ASYNC_STORE),
        vec![("cached_macro::fetch".to_owned(), 2)]
    );
}

/// Borrows across `.await`; its future must still be `Send`.
#[cached(store = MemoryStore::new())]
async fn shout(word: &str) -> String {
    tokio::task::yield_now().await;
    word.to_uppercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_fn_future_is_send() {
    let word = String::from("spawned");
    let handle = tokio::spawn(async move { shout(&word).await });
    assert_eq!(handle.await.unwrap(), "SPAWNED");
}

static ASYNC_PARSE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached(store = MemoryStore::new())]
async fn parse_later(s: &str) -> Result<i64, ParseError> {
    ASYNC_PARSE_RUNS.fetch_add(1, SeqCst);
    tokio::task::yield_now().await;
    if s.is_empty() {
        return Err(ParseError("empty".into()));
    }
    Ok(s.parse::<i64>()? * 10)
}

#[tokio::test]
async fn async_errors_are_not_cached_but_ok_values_are() {
    assert_eq!(parse_later("").await, Err(ParseError("empty".into())));
    assert_eq!(parse_later("").await, Err(ParseError("empty".into())));
    assert!(parse_later("z").await.is_err());
    assert_eq!(runs(&ASYNC_PARSE_RUNS), 3);
    assert_eq!(parse_later("4").await, Ok(40));
    assert_eq!(parse_later("4").await, Ok(40));
    assert_eq!(runs(&ASYNC_PARSE_RUNS), 4);
}

static ASYNC_BROKEN_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached(store = Err::<MemoryStore, _>("cannot open"), codec = miniperscache::Json)]
async fn async_uncached(x: u32) -> u32 {
    ASYNC_BROKEN_RUNS.fetch_add(1, SeqCst);
    x
}

#[tokio::test]
async fn async_store_that_cannot_be_opened_fails_open() {
    assert_eq!(async_uncached(5).await, 5);
    assert_eq!(async_uncached(5).await, 5);
    assert_eq!(runs(&ASYNC_BROKEN_RUNS), 2);
}

static ASYNC_PANIC_RUNS: AtomicUsize = AtomicUsize::new(0);
static ASYNC_PANICS: AtomicBool = AtomicBool::new(true);

#[cached(store = MemoryStore::new())]
async fn async_flaky(x: u8) -> u8 {
    ASYNC_PANIC_RUNS.fetch_add(1, SeqCst);
    if ASYNC_PANICS.load(SeqCst) {
        panic!("async_flaky panicked");
    }
    x
}

#[tokio::test]
async fn async_panic_caches_nothing() {
    let panicked = tokio::spawn(async_flaky(9)).await;
    assert!(panicked.unwrap_err().is_panic());
    ASYNC_PANICS.store(false, SeqCst);
    assert_eq!(async_flaky(9).await, 9);
    assert_eq!(async_flaky(9).await, 9);
    assert_eq!(runs(&ASYNC_PANIC_RUNS), 2);
}

/// One store shared by the functions below, so that entries could collide if tags or keys did.
static SHARED_STORE: LazyLock<MemoryStore> = LazyLock::new(MemoryStore::new);

struct User;
struct Group;

impl User {
    #[cached(store = SHARED_STORE.clone())]
    fn name(id: u32) -> String {
        format!("user-{id}")
    }
}

impl Group {
    #[cached(store = SHARED_STORE.clone())]
    fn name(id: u32) -> String {
        format!("group-{id}")
    }
}

fn nested_a(x: u32) -> u32 {
    #[cached(store = SHARED_STORE.clone())]
    fn helper(x: u32) -> u32 {
        x + 1
    }
    helper(x)
}

fn nested_b(x: u32) -> u32 {
    #[cached(store = SHARED_STORE.clone())]
    fn helper(x: u32) -> u32 {
        x + 100
    }
    helper(x)
}

#[test]
fn same_named_functions_in_different_places_never_share_entries() {
    assert_eq!(User::name(1), "user-1");
    assert_eq!(Group::name(1), "group-1");
    assert_eq!(User::name(1), "user-1");
    assert_eq!(nested_a(1), 2);
    assert_eq!(nested_b(1), 101);
    let tags: Vec<String> = tags(&SHARED_STORE).into_iter().map(|(t, _)| t).collect();
    assert!(
        tags.contains(&"cached_macro::User::name".to_owned()),
        "{tags:?}"
    );
    assert!(
        tags.contains(&"cached_macro::nested_a::helper".to_owned()),
        "{tags:?}"
    );
}

struct Wrap<T>(std::marker::PhantomData<T>);

impl<T> Wrap<T> {
    /// The arguments are the same for every `T`; only the impl's `T` tells the calls apart.
    #[cached(store = SHARED_STORE.clone())]
    fn make(n: u32) -> String {
        format!("{}:{n}", std::any::type_name::<T>())
    }
}

#[test]
fn an_enclosing_impl_generic_is_part_of_the_key() {
    assert_eq!(Wrap::<u8>::make(1), "u8:1");
    assert_eq!(Wrap::<u64>::make(1), "u64:1");
    assert_eq!(Wrap::<u8>::make(1), "u8:1");
}

#[derive(Serialize, Debug)]
#[serde(transparent)]
struct Meters(f64);

#[cached(store = SHARED_STORE.clone())]
fn show(x: impl Serialize + std::fmt::Debug) -> String {
    format!("{x:?}")
}

#[test]
fn an_impl_trait_argument_type_is_part_of_the_key() {
    // `Meters(1.5)` serializes exactly like `1.5f64`; only its type tells them apart.
    assert_eq!(show(1.5f64), "1.5");
    assert_eq!(show(Meters(1.5)), "Meters(1.5)");
}

#[cached(store = SHARED_STORE.clone())]
async fn async_tagged(x: u32) -> u32 {
    x
}

#[tokio::test]
async fn async_default_tag_is_the_function_path() {
    assert_eq!(async_tagged(3).await, 3);
    let tags: Vec<String> = tags(&SHARED_STORE).into_iter().map(|(t, _)| t).collect();
    assert!(
        tags.contains(&"cached_macro::async_tagged".to_owned()),
        "{tags:?}"
    );
}
