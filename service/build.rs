// `sqlx::migrate!` embeds the migrations at compile time; without this a new migration file does not
// trigger a rebuild (sqlx issue #681).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
