# sessiond's container image (docs/deployment.md, "Containers"): built in one stage, run in a
# small one as a user of its own, its data folder a volume.
#   docker build -t sessiond .
#   docker run -p 8080:8080 -v sessiond-data:/var/lib/sessiond sessiond
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p sessiond-server --bin sessiond

FROM debian:bookworm-slim
# ca-certificates brings the TLS library the binary links; curl is the health check's client.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/sessiond --shell /usr/sbin/nologin sessiond
COPY --from=build /src/target/release/sessiond /usr/local/bin/sessiond
USER sessiond
WORKDIR /var/lib/sessiond
VOLUME /var/lib/sessiond
ENV SESSIOND_BIND=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD curl -fsS http://127.0.0.1:8080/healthz >/dev/null || exit 1
ENTRYPOINT ["sessiond"]
CMD ["serve"]
