//! The shipped deployment files: the Kubernetes manifests validate offline against the
//! Kubernetes schemas (with `kubernetes-validate`, which `.ci/run` installs; a missing
//! tool compiles that test as ignored, and fails the run when `CI` is set), the Indexed
//! Job's shell line turns each completion index into the right `--shard`, the merge Job
//! finds every shard's folder, the Dockerfile is a multi-stage release build on the
//! declared toolchain, and the GitHub Actions example's matrix covers every shard. The
//! Docker image itself is not built here (no registry for base images).

use std::path::{Path, PathBuf};
use std::process::Command;
use yaml_rust2::{Yaml, YamlLoader};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every YAML document of a file.
fn documents(path: &str) -> Vec<Yaml> {
    YamlLoader::load_from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn manifests() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo("deploy/kubernetes"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The one container of a Job or Deployment.
fn container(doc: &Yaml) -> &Yaml {
    let containers = doc["spec"]["template"]["spec"]["containers"]
        .as_vec()
        .expect("containers");
    assert_eq!(containers.len(), 1);
    &containers[0]
}

/// A container's environment variables with plain values.
fn env_of(container: &Yaml) -> Vec<(String, String)> {
    container["env"]
        .as_vec()
        .map(|vars| {
            vars.iter()
                .filter_map(|v| Some((v["name"].as_str()?.into(), v["value"].as_str()?.into())))
                .collect()
        })
        .unwrap_or_default()
}

fn env_value(container: &Yaml, name: &str) -> String {
    env_of(container)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .1
}

/// Runs a container's `sh -c` line with `loadgate` replaced by a printer of its
/// arguments, one per line.
fn shell_arguments(container: &Yaml, env: &[(&str, &str)]) -> Vec<String> {
    assert_eq!(container["command"][0].as_str(), Some("/bin/sh"));
    assert_eq!(container["command"][1].as_str(), Some("-c"));
    let line = container["args"][0].as_str().expect("one shell line");
    assert!(line.starts_with("exec loadgate "), "{line}");
    let line = line.replacen("exec loadgate ", "printf '%s\\n' ", 1);
    let out = Command::new("/bin/sh")
        .args(["-c", &line])
        .env_clear()
        .envs(env_of(container))
        .envs(env.iter().copied())
        .output()
        .expect("sh runs");
    assert!(out.status.success(), "{line}: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn ci_has_kubernetes_validate() {
    if std::env::var_os("CI").is_some() {
        let installed = cfg!(kubernetes_validate_present);
        assert!(
            installed,
            "CI is set but kubernetes-validate is not on the PATH: `pip install kubernetes-validate` (.ci/run does)"
        );
    }
}

#[test]
#[cfg_attr(
    not(kubernetes_validate_present),
    ignore = "kubernetes-validate is not installed (pip install kubernetes-validate)"
)]
fn the_manifests_validate_against_the_kubernetes_schemas_offline() {
    let files = manifests();
    assert!(files.len() >= 3, "{files:?}");
    // The oldest release that labels a Job's pods with their Job's name, and the newest
    // the tool knows; strict: an unknown field is an error, not a silent no-op.
    for version in [Some("1.28.0"), None] {
        let mut cmd = Command::new("kubernetes-validate");
        cmd.arg("--strict");
        if let Some(version) = version {
            cmd.args(["-k", version]);
        }
        let out = cmd.args(&files).output().expect("kubernetes-validate runs");
        assert!(
            out.status.success(),
            "{version:?}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let passed = String::from_utf8_lossy(&out.stdout)
            .matches(" passed ")
            .count()
            + String::from_utf8_lossy(&out.stderr)
                .matches(" passed ")
                .count();
        assert!(passed >= files.len(), "every resource was checked: {out:?}");
    }
    // And the tool does refuse a wrong manifest.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        read("deploy/kubernetes/shards-job.yaml").replace("completionMode:", "completionMod:"),
    )
    .unwrap();
    let out = Command::new("kubernetes-validate")
        .arg("--strict")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
}

#[test]
fn each_indexed_job_pod_runs_its_own_shard_counted_from_one() {
    let job = &documents("deploy/kubernetes/shards-job.yaml")[0];
    assert_eq!(job["kind"].as_str(), Some("Job"));
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    let shards = spec["completions"].as_i64().unwrap();
    assert_eq!(spec["parallelism"].as_i64(), Some(shards));
    let container = container(job);
    assert_eq!(env_value(container, "SHARDS"), shards.to_string());
    let name = job["metadata"]["name"].as_str().unwrap();
    for index in 0..shards {
        let args = shell_arguments(
            container,
            &[
                ("JOB_COMPLETION_INDEX", &index.to_string()),
                ("JOB_NAME", name),
            ],
        );
        let shard = format!("{}/{shards}", index + 1);
        let out = format!("/results/{name}/shard-{}", index + 1);
        assert_eq!(args[0], "run");
        assert!(
            args.windows(2).any(|w| w == ["--shard", shard.as_str()]),
            "{args:?}"
        );
        assert!(
            args.windows(2).any(|w| w == ["--out", out.as_str()]),
            "{args:?}"
        );
        let scenario = repo(&args[1]);
        assert!(scenario.is_file(), "the image ships {}", args[1]);
    }
}

#[test]
fn the_merge_job_reads_every_shard_folder_of_the_shards_job() {
    let shards_job = &documents("deploy/kubernetes/shards-job.yaml")[0];
    let merge_job = &documents("deploy/kubernetes/merge-job.yaml")[0];
    let shards = shards_job["spec"]["completions"].as_i64().unwrap();
    let container = container(merge_job);
    let run = env_value(container, "RUN");
    assert_eq!(
        run,
        format!(
            "/results/{}",
            shards_job["metadata"]["name"].as_str().unwrap()
        )
    );
    // The same shell line against a real folder of shard folders.
    let dir = tempfile::tempdir().unwrap();
    for index in 1..=shards {
        std::fs::create_dir(dir.path().join(format!("shard-{index}"))).unwrap();
    }
    let local = dir.path().to_str().unwrap();
    let args = shell_arguments(container, &[("RUN", local)]);
    let mut expected = vec!["merge".to_string()];
    expected.extend((1..=shards).map(|i| format!("{local}/shard-{i}")));
    expected.extend(["--out".to_string(), format!("{local}/merged")]);
    assert_eq!(args, expected);
    assert_eq!(merge_job["spec"]["backoffLimit"].as_i64(), Some(0));
    for job in [shards_job, merge_job] {
        let claim = &job["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"];
        assert_eq!(claim["claimName"].as_str(), Some("loadgate-results"));
    }
}

#[test]
fn every_manifest_runs_the_image_of_this_version() {
    let version = env!("CARGO_PKG_VERSION");
    for file in manifests() {
        let path = file.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
        for doc in documents(path.to_str().unwrap()) {
            if doc["spec"]["template"].is_badvalue() {
                continue;
            }
            assert_eq!(
                container(&doc)["image"].as_str(),
                Some(format!("loadgate:{version}").as_str()),
                "{}",
                file.display()
            );
        }
    }
}

#[test]
fn the_dockerfile_is_a_multi_stage_release_build_into_a_slim_non_root_image() {
    let dockerfile = read("Dockerfile");
    let lines: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let froms: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("FROM "))
        .collect();
    assert_eq!(froms.len(), 2, "{froms:?}");
    // The build stage uses the toolchain Cargo.toml declares.
    let rust_version = read("Cargo.toml")
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"').to_string())
        .expect("rust-version");
    assert!(
        froms[0].starts_with(&format!("FROM rust:{rust_version}-"))
            && froms[0].ends_with(" AS build"),
        "{}",
        froms[0]
    );
    assert!(
        froms[1].starts_with("FROM debian:") && froms[1].ends_with("-slim"),
        "{}",
        froms[1]
    );
    assert!(lines
        .iter()
        .any(|l| l.contains("cargo build --release --locked")));
    // Every file the build copies exists, and the runtime takes only built binaries.
    for line in lines.iter().filter(|l| l.starts_with("COPY ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words[1].starts_with("--from=") {
            assert_eq!(words[1], "--from=build", "{line}");
            continue;
        }
        for source in &words[1..words.len() - 1] {
            assert!(repo(source).exists(), "{line}: {source} does not exist");
        }
    }
    let user = lines
        .iter()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER");
    assert!(
        !user.starts_with('0') && !user.starts_with("root"),
        "{user}"
    );
    assert_eq!(lines.last(), Some(&r#"CMD ["--help"]"#));
    assert!(lines.contains(&r#"ENTRYPOINT ["loadgate"]"#));
    // The build context leaves out build output (gigabytes).
    assert!(read(".dockerignore").lines().any(|l| l.trim() == "target/"));
}

#[test]
fn the_github_actions_example_runs_every_shard_then_merges() {
    let workflow = &documents("deploy/github/loadgate-shards.yml")[0];
    let shards: usize = workflow["env"]["SHARDS"].as_str().unwrap().parse().unwrap();
    let matrix: Vec<i64> = workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(matrix, (1..=shards as i64).collect::<Vec<_>>());
    let shard_steps = format!("{:?}", workflow["jobs"]["shard"]["steps"]);
    assert!(
        shard_steps.contains("--shard \\\"${{ matrix.shard }}/$SHARDS\\\""),
        "{shard_steps}"
    );
    let merge = &workflow["jobs"]["merge"];
    assert_eq!(merge["needs"].as_str(), Some("shard"));
    assert!(merge["if"].as_str().unwrap().contains("always()"));
    assert!(format!("{:?}", merge["steps"]).contains("loadgate merge shards/shard-* --out merged"));
}
