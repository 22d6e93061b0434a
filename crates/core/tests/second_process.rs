//! A result computed once survives into a second process.
//!
//! The test runs its own test binary twice as a child (`child_computes` below, which only acts when
//! `MPC_CHILD_DIR` is set). Each child calls a `#[cached]` fn whose body appends a line to a
//! counter file; after two children the file must have exactly one line.

use std::path::Path;
use std::process::Command;

use miniperscache::cached;

#[cached(tag = "second_process")]
fn slow_square(x: u64) -> u64 {
    let dir = std::env::var("MPC_CHILD_DIR").unwrap();
    let counter = Path::new(&dir).join("runs.txt");
    let mut runs = std::fs::read_to_string(&counter).unwrap_or_default();
    runs.push_str("ran\n");
    std::fs::write(&counter, runs).unwrap();
    x * x
}

#[test]
fn child_computes() {
    let Ok(dir) = std::env::var("MPC_CHILD_DIR") else {
        return; // only meaningful as a child of `result_survives_into_a_second_process`
    };
    assert_eq!(slow_square(12), 144);
    std::fs::write(Path::new(&dir).join("child-ok"), "").unwrap();
}

fn run_child(dir: &Path) {
    let _ = std::fs::remove_file(dir.join("child-ok"));
    // The child's output is captured so that its own test summary doesn't mix with ours.
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_computes", "--test-threads=1"])
        .env("MPC_CHILD_DIR", dir)
        .env("MINIPERSCACHE_DIR", dir.join("cache"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.join("child-ok").exists(),
        "the child really ran the test"
    );
}

#[test]
fn result_survives_into_a_second_process() {
    let dir = tempfile::tempdir().unwrap();
    run_child(dir.path());
    run_child(dir.path());
    let runs = std::fs::read_to_string(dir.path().join("runs.txt")).unwrap();
    assert_eq!(
        runs.lines().count(),
        1,
        "the body ran once across two processes"
    );
    assert!(dir.path().join("cache").join("miniperscache.db").exists());
}

/// Child side of `processes_share_one_sqlite_file`: writes and reads back 100 entries.
#[test]
fn child_writes() {
    let (Ok(db), Ok(id)) = (std::env::var("MPC_SHARED_DB"), std::env::var("MPC_WRITER")) else {
        return; // only meaningful as a child of `processes_share_one_sqlite_file`
    };
    let cache = miniperscache::Cache::open(db).unwrap().strict(true);
    for n in 0..100u32 {
        let v: String = cache
            .get_or_compute("shared", &(id.as_str(), n), || format!("{id}-{n}"))
            .unwrap();
        assert_eq!(v, format!("{id}-{n}"));
    }
}

/// Four processes open, write and read one new SQLite file at the same time, with no error.
#[test]
fn processes_share_one_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let children: Vec<_> = (0..4)
        .map(|id| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "child_writes", "--test-threads=1"])
                .env("MPC_SHARED_DB", &db)
                .env("MPC_WRITER", id.to_string())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "writer failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tags = miniperscache::Cache::open(&db).unwrap().tags().unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].entries, 400);
}
