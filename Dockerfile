# The loadgate image: loadgate and the reference target-server, built in release mode in
# a Rust image, copied into a slim Debian runtime that runs them as a non-root user.
#
#   docker build -t loadgate:0.1.0 .
#   docker run --rm loadgate:0.1.0 run scenarios/normal.yaml --time-scale 0.1
#
# deploy/kubernetes/ runs it as an Indexed Job, one shard per pod (README.md, "From one
# process to N machines").

# Build stage: the toolchain of `rust-version` in Cargo.toml, plus a C compiler for
# aws-lc-sys (TLS) and libsqlite3-sys (the reference server's SQLite).
FROM rust:1.88-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY templates templates
COPY target-server target-server
RUN cargo build --release --locked --workspace --bins \
    && cp target/release/loadgate target/release/target-server /usr/local/bin/

# Runtime stage: only the two binaries, the shipped scenarios and CA certificates (for
# HTTPS targets).
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --user-group --create-home --home-dir /home/loadgate loadgate
COPY --from=build /usr/local/bin/loadgate /usr/local/bin/target-server /usr/local/bin/
COPY scenarios /opt/loadgate/scenarios
WORKDIR /opt/loadgate
USER 10001:10001
ENTRYPOINT ["loadgate"]
CMD ["--help"]
