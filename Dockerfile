# syntax=docker/dockerfile:1
# returns: built with the Swift toolchain, run from a slim Debian image as an unprivileged user.
# `.ci/run` runs this file's build steps natively (.ci/dockerfile-build), so a broken step fails CI here too.

# ---- build -------------------------------------------------------------------------------------------------------
FROM swift:6.3-bookworm AS build
# The image builds release with the Swift runtime and Foundation linked in, so the runtime image needs no Swift
# toolchain. CI runs these steps with CONFIGURATION=debug and no static flag, reusing the build it just made.
ARG CONFIGURATION=release
ARG SWIFT_BUILD_FLAGS=--static-swift-stdlib
WORKDIR /src
# Dependencies first: this layer stays cached until Package.swift changes.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c "$CONFIGURATION" --product returns $SWIFT_BUILD_FLAGS
# Under .build, so running these steps natively (CI) writes only where builds already write. The resource bundle
# (the OpenAPI document `returns serve` serves) must sit beside the binary.
RUN bin="$(swift build -c "$CONFIGURATION" --show-bin-path)" \
    && cp "$bin/returns" .build/returns-image \
    && rm -rf .build/returns_ReturnsHTTP.resources \
    && cp -R "$bin/returns_ReturnsHTTP.resources" .build/returns_ReturnsHTTP.resources

# ---- run ---------------------------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS run
# ca-certificates for TLS to PostgreSQL and webhooks; tzdata for time zones; curl for the health check; libcurl4
# because Foundation's URLSession (webhooks) links libcurl even with the Swift runtime static (the build image has
# libcurl4-openssl-dev; without it the static link fails with undefined curl_* references).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata curl libcurl4 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin returns
WORKDIR /app
COPY --from=build /src/.build/returns-image /usr/local/bin/returns
COPY --from=build /src/.build/returns_ReturnsHTTP.resources /usr/local/bin/returns_ReturnsHTTP.resources
COPY Schema ./Schema
COPY Workflows ./Workflows
RUN mkdir -p /app/.returns/spool && chown -R returns:returns /app/.returns
USER 10001:10001
ENV RETURNS_SCHEMA_DIR=/app/Schema \
    RETURNS_WORKFLOWS_DIR=/app/Workflows \
    RETURNS_SPOOL_DIR=/app/.returns/spool \
    HOST=0.0.0.0 \
    PORT=8080
EXPOSE 8080
# Migrations run under an advisory lock, so every replica may run them on start; the first applies, the rest wait.
CMD ["sh", "-c", "returns migrate && exec returns serve"]
