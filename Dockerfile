# syntax=docker/dockerfile:1
#
# vapi-drift in a container, for CI systems that run images rather than binaries:
#
#   docker build -t vapi-drift .
#   docker run --rm -e VAPI_API_KEY -v "$PWD:/repo" -w /repo vapi-drift check desired
#
# Writing reports into the mounted folder needs its owner's uid:
#   docker run --rm --user "$(id -u):$(id -g)" -e VAPI_API_KEY -v "$PWD:/repo" -w /repo \
#     vapi-drift check desired -o json=drift.json
#
# Stage 1 builds a static binary on Alpine: Rust's musl targets link statically by
# default, so the binary needs no libc from the final image. The C in the tree
# (aws-lc-sys, rustls' crypto) needs a C toolchain and musl's headers.
# Stage 2 is distroless static, non-root: no shell, no package manager, but the CA
# certificates rustls needs to check the API's certificate (scratch has none) and a
# `nonroot` user (uid 65532).
#
# Pin both images by digest in your fork (FROM image:tag@sha256:...); no registry was
# reachable where this file was written, so no digest was verified and none is given.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-alpine AS build
RUN apk add --no-cache build-base musl-dev
WORKDIR /src
COPY . .
# The build context has no .git (.dockerignore): the commit for `--version` comes from
# a build argument, `--build-arg VAPI_DRIFT_COMMIT="$(git log -1 --format='%h %cs')"`.
ARG VAPI_DRIFT_COMMIT=""
ENV VAPI_DRIFT_COMMIT=${VAPI_DRIFT_COMMIT}
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --profile dist -p vapi-drift --bin vapi-drift \
    && cp target/dist/vapi-drift /usr/local/bin/vapi-drift \
    && /usr/local/bin/vapi-drift --version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /usr/local/bin/vapi-drift /usr/local/bin/vapi-drift
ENV PATH=/usr/local/bin
USER nonroot:nonroot
WORKDIR /repo
ENTRYPOINT ["vapi-drift"]
CMD ["--help"]
