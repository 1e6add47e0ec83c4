# Multi-stage build: a static binary on a distroless, non-root base.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/marketplace ./cmd/marketplace

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/marketplace /marketplace
USER nonroot:nonroot
ENV ADDR=0.0.0.0:8080 DATA_DIR=/data
EXPOSE 8080
ENTRYPOINT ["/marketplace"]
CMD ["serve"]
