// `sqlx::migrate!` embeds the migration files at compile time but cargo does not know they
// are inputs: without this, a new migration is missing from an incremental build.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
